import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { loadModel } from '../models/index.js';
import { predictTexts } from '../train/index.js';
import { UsageError } from '../errors.js';
import { parseInteger, printResult, startEngine, withCommonOptions } from './common.js';

export function registerPredict(program: Command): void {
  const command = program
    .command('predict')
    .description('classify texts with a saved model (arguments, or one text per line on stdin)')
    .argument('[texts...]', 'texts to classify; none: read lines from stdin')
    .requiredOption('--model <dir>', 'checkpoint directory written by "trustnlu train"')
    .option('--top <k>', 'also list the k most probable labels', parseInteger('--top', 1), 3);
  withCommonOptions(command).action(async (texts: string[], flags: { model: string; top: number; json?: boolean; backend?: 'wasm' | 'cpu' }) => {
    const inputs = texts.length > 0 ? texts : readFileSync(0, 'utf8').split('\n').filter((l) => l.trim() !== '');
    if (inputs.length === 0) throw new UsageError('no text to classify: pass texts as arguments or lines on stdin');
    await startEngine(flags);
    const { model } = loadModel(flags.model);
    try {
      const predictions = predictTexts(model, inputs, flags.top);
      printResult({ model: model.kind, predictions }, flags.json, () =>
        predictions.map((p) => `${p.label}\t${p.probability.toFixed(3)}\t${p.text}`).join('\n'),
      );
    } finally {
      model.dispose();
    }
  });
}
