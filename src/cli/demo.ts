import type { Command } from 'commander';
import { resolveDataDir } from '../data/locate.js';
import { defaultDatasetName } from '../data/registry.js';
import { predictTexts, progressFor, runTraining } from '../train/index.js';
import { parseInteger, printResult, startEngine, withCommonOptions } from './common.js';
import { describeResult } from './train.js';

/**
 * The quick-start job (npm start): trains the default classifier on the default data,
 * evaluates it, saves it and classifies a few utterances, saying what it did at each step.
 */
export function registerDemo(program: Command): void {
  const command = program
    .command('demo')
    .description('end-to-end demo: train and evaluate the default classifier on the default data')
    .option('--out <dir>', 'where to save the model', 'out/demo-model')
    .option('--epochs <n>', 'training epochs', parseInteger('--epochs', 1), 4)
    .option('--seed <n>', 'random seed', parseInteger('--seed', 0), 0)
    .option('--data-dir <dir>', 'data directory');
  withCommonOptions(command).action(async (flags: { out: string; epochs: number; seed: number; dataDir?: string; json?: boolean; backend?: 'wasm' | 'cpu' }) => {
    await startEngine(flags);
    const dataDir = resolveDataDir(flags.dataDir);
    const dataset = defaultDatasetName(flags.dataDir);
    const say = (line: string) => {
      if (!flags.json) process.stderr.write(`${line}\n`);
    };
    say(`trustnlu demo: data directory ${dataDir ?? '(none found)'}; dataset "${dataset}"${dataset === 'synthetic' ? ' (SYNTHETIC: no real data found)' : ''}`);
    say(`training the embedding-bag classifier for up to ${flags.epochs} epochs (backend ${flags.backend}) ...`);
    const { result, model } = await runTraining({
      dataset,
      model: 'embbag',
      epochs: flags.epochs,
      seed: flags.seed,
      out: flags.out,
      dataDir: flags.dataDir,
      progress: progressFor({ json: flags.json }),
    });
    const samples = ['wake me up at seven tomorrow', 'what is the weather like in paris', 'how much money do i have in my checking account'];
    const predictions = predictTexts(model, samples, 1).map((p) => ({ text: p.text, label: p.label, probability: Number(p.probability.toFixed(4)) }));
    model.dispose();
    printResult({ ...result, out: flags.out, predictions }, flags.json, () =>
      [
        describeResult(result),
        `saved the best checkpoint to ${flags.out}`,
        'sample predictions:',
        ...predictions.map((p) => `  "${p.text}" → ${p.label} (${p.probability.toFixed(3)})`),
        `next: trustnlu predict --model ${flags.out} "set a timer for ten minutes"`,
      ].join('\n'),
    );
  });
}
