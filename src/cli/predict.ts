import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { readTable, writeTable } from '../data/table.js';
import { predictTexts, type Prediction } from '../train/index.js';
import { DatasetFormatError, UsageError } from '../errors.js';
import { TABLE_FORMATS } from '../data/table.js';
import { addUserModelOptions, loadModelFromFlags, type ModelFlags } from './model-options.js';
import { parseChoice, parseInteger, printResult, startEngine, withCommonOptions } from './common.js';

interface PredictFlags extends ModelFlags {
  model: string;
  top: number;
  data?: string;
  format?: string;
  textColumn?: string;
  out?: string;
  json?: boolean;
  backend?: 'wasm' | 'cpu';
}

/** The texts to classify: arguments, a file's text column, or stdin lines. */
function inputsOf(texts: string[], flags: PredictFlags): { texts: string[]; table?: ReturnType<typeof readTable> } {
  if (flags.data !== undefined) {
    if (texts.length > 0) throw new UsageError('give texts as arguments or --data FILE, not both');
    const table = readTable(flags.data, { format: flags.format });
    const column = flags.textColumn ?? 'text';
    if (!table.columns.includes(column)) {
      throw new DatasetFormatError(`${flags.data}: no column "${column}" for the text; the file's columns are ${table.columns.map((c) => `"${c}"`).join(', ')}; name it with --text-column COLUMN`);
    }
    return { texts: table.rows.map((r) => r.values[column] ?? ''), table };
  }
  if (flags.textColumn !== undefined || flags.format !== undefined) throw new UsageError('--text-column and --format describe a --data FILE: add --data FILE');
  return { texts: texts.length > 0 ? texts : readFileSync(0, 'utf8').split('\n').filter((l) => l.trim() !== '') };
}

export function registerPredict(program: Command): void {
  const command = program
    .command('predict')
    .description('classify texts with a saved model (arguments, a data file\'s text column, or one text per line on stdin)')
    .argument('[texts...]', 'texts to classify; none: --data FILE or lines from stdin')
    .requiredOption('--model <path>', 'checkpoint directory written by "trustnlu train", or a TensorFlow.js model.json (or its directory)')
    .option('--top <k>', 'also list the k most probable labels', parseInteger('--top', 1), 3)
    .option('--data <path>', 'classify the text column of this file (CSV, TSV, JSON lines or JSON)')
    .option('--format <format>', `format of --data: ${TABLE_FORMATS.join(' | ')} (default: from the extension)`, parseChoice('--format', TABLE_FORMATS))
    .option('--text-column <name>', 'column of --data holding the text (default "text")')
    .option('--out <path>', 'with --data: write the file\'s rows with the columns "predicted" and "probability" added (format from the extension)');
  addUserModelOptions(command);
  withCommonOptions(command).action(async (texts: string[], flags: PredictFlags) => {
    if (flags.out !== undefined && flags.data === undefined) throw new UsageError('--out writes the rows of --data with their predictions: add --data FILE');
    const inputs = inputsOf(texts, flags);
    if (inputs.texts.length === 0) throw new UsageError('no text to classify: pass texts as arguments, --data FILE or lines on stdin');
    await startEngine(flags);
    const { model } = await loadModelFromFlags(flags);
    let predictions: Prediction[];
    try {
      predictions = predictTexts(model, inputs.texts, flags.top);
    } finally {
      model.dispose();
    }
    if (flags.out !== undefined && inputs.table) {
      const columns = [...inputs.table.columns, 'predicted', 'probability'];
      writeTable(flags.out, columns, inputs.table.rows.map((r, i) => ({ ...r.values, predicted: predictions[i].label, probability: predictions[i].probability })));
      printResult({ model: model.kind, rows: predictions.length, out: flags.out }, flags.json, () => `${predictions.length} predictions written to ${flags.out}`);
      return;
    }
    printResult({ model: model.kind, predictions }, flags.json, () =>
      predictions.map((p) => `${p.label}\t${p.probability.toFixed(3)}\t${p.text}`).join('\n'),
    );
  });
}
