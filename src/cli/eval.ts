import type { Command } from 'commander';
import { runEvaluation } from '../train/index.js';
import { addDataOptions, dataSourceFromFlags, type DataFlags } from './data-options.js';
import { parseChoice, printResult, startEngine, withCommonOptions } from './common.js';
import { describeResult } from './train.js';

export function registerEval(program: Command): void {
  const command = program
    .command('eval')
    .description('evaluate a saved model on a dataset split (same fields as train)')
    .requiredOption('--model <dir>', 'checkpoint directory written by "trustnlu train"')
    .option('--split <name>', 'split: train, val or test', parseChoice('--split', ['train', 'val', 'test'] as const), 'test');
  addDataOptions(command, { datasetHelp: 'a named dataset (default: the data the model was trained on, as its checkpoint records it)', columns: [] });
  withCommonOptions(command).action(async (flags: DataFlags & { model: string; split: 'train' | 'val' | 'test'; json?: boolean; backend?: 'wasm' | 'cpu' }) => {
    const dataset = dataSourceFromFlags(flags);
    await startEngine(flags);
    const result = runEvaluation({ modelDir: flags.model, dataset, split: flags.split, dataDir: flags.dataDir });
    printResult(result, flags.json, describeResult);
  });
}
