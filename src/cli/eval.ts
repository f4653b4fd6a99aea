import type { Command } from 'commander';
import { runEvaluation } from '../train/index.js';
import { parseChoice, printResult, startEngine, withCommonOptions } from './common.js';
import { describeResult } from './train.js';

export function registerEval(program: Command): void {
  const command = program
    .command('eval')
    .description('evaluate a saved model on a dataset split (same fields as train)')
    .requiredOption('--model <dir>', 'checkpoint directory written by "trustnlu train"')
    .option('--dataset <name>', 'dataset (default: the one the model was trained on)')
    .option('--split <name>', 'split: train, val or test', parseChoice('--split', ['train', 'val', 'test'] as const), 'test')
    .option('--data-dir <dir>', 'data directory');
  withCommonOptions(command).action(async (flags: { model: string; dataset?: string; split: 'train' | 'val' | 'test'; dataDir?: string; json?: boolean; backend?: 'wasm' | 'cpu' }) => {
    await startEngine(flags);
    const result = runEvaluation({ modelDir: flags.model, dataset: flags.dataset, split: flags.split, dataDir: flags.dataDir });
    printResult(result, flags.json, describeResult);
  });
}
