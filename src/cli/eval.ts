import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { runEvaluation } from '../train/index.js';
import { addDataOptions, dataSourceFromFlags, type DataFlags } from './data-options.js';
import { addUserModelOptions, loadModelFromFlags, type ModelFlags } from './model-options.js';
import { parseChoice, printResult, startEngine, withCommonOptions } from './common.js';
import { describeResult } from './train.js';

export function registerEval(program: Command): void {
  const command = program
    .command('eval')
    .description('evaluate a saved model on a dataset split (same fields as train)')
    .requiredOption('--model <path>', 'checkpoint directory written by "trustnlu train", or a TensorFlow.js model.json (or its directory)')
    .option('--split <name>', 'split: train, val or test', parseChoice('--split', ['train', 'val', 'test'] as const), 'test');
  addUserModelOptions(command);
  addDataOptions(command, { datasetHelp: 'a named dataset (default: the data the model was trained on, as its checkpoint records it)', columns: [] });
  withCommonOptions(command).action(async (flags: DataFlags & ModelFlags & { model: string; split: 'train' | 'val' | 'test'; json?: boolean; backend?: 'wasm' | 'cpu' }) => {
    const dataset = dataSourceFromFlags(flags);
    await startEngine(flags);
    const loaded = await loadModelFromFlags(flags);
    try {
      if (!dataset && loaded.meta.dataSource === undefined && loaded.meta.dataset === undefined) {
        throw new UsageError(`${flags.model} does not record the data it was trained on: pass --dataset NAME or --data FILE`);
      }
      const result = runEvaluation({ modelDir: flags.model, loaded, dataset, split: flags.split, dataDir: flags.dataDir });
      printResult(result, flags.json, describeResult);
    } finally {
      loaded.model.dispose();
    }
  });
}
