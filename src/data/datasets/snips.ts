/**
 * SNIPS (Coucke et al. 2018) in the train/valid/test split of Goo et al. (NAACL 2018): seven
 * voice-assistant intents with BIO slot tags. Each split folder has three line-aligned files:
 * `seq.in` (space-separated tokens), `seq.out` (one BIO tag per token) and `label` (intent).
 */
import { DatasetFormatError } from '../../errors.js';
import type { DatasetInfo, IntentDataset, SplitName, TextExample } from '../types.js';
import { readParsedFile, requireDataFile, splitLines } from './read-file.js';
import { sortedLabels } from './stratified-split.js';

const FOLDERS: Record<SplitName, string> = { train: 'snips/train', val: 'snips/valid', test: 'snips/test' };
const FILE_NAMES = ['seq.in', 'seq.out', 'label'] as const;

export const SNIPS_INFO: DatasetInfo = {
  name: 'snips',
  task: 'intent',
  description: 'SNIPS voice-assistant queries (Goo et al. split), 7 intents, with BIO slot tags per token',
  licence: 'CC0 1.0 (upstream sonos/nlu-benchmark; the MiuLab/SlotGated-SLU copy has no licence file)',
  files: (['train', 'val', 'test'] as SplitName[]).flatMap((s) => FILE_NAMES.map((f) => `${FOLDERS[s]}/${f}`)),
};

function readSplit(dataDir: string, split: SplitName): TextExample[] {
  const folder = FOLDERS[split];
  const [inPath, outPath, labelPath] = FILE_NAMES.map((f) => requireDataFile(dataDir, `${folder}/${f}`, 'snips'));
  const read = (path: string): string[] => readParsedFile(path, 'lines', (text) => splitLines(text));
  // A file saved with extra blank lines at the end is tolerated; blank lines elsewhere are not.
  const dropTrailingBlank = (lines: string[]): string[] => {
    let end = lines.length;
    while (end > 0 && lines[end - 1].trim() === '') end--;
    return lines.slice(0, end);
  };
  const inLines = dropTrailingBlank(read(inPath));
  const outLines = dropTrailingBlank(read(outPath));
  const labelLines = dropTrailingBlank(read(labelPath));
  if (inLines.length !== outLines.length || inLines.length !== labelLines.length) {
    throw new DatasetFormatError(
      `${folder}: seq.in, seq.out and label must have one line per example, but they have ` +
        `${inLines.length}, ${outLines.length} and ${labelLines.length} lines ` +
        `(${inPath}, ${outPath}, ${labelPath}); the three files must come from the same copy of the dataset`,
    );
  }
  const examples: TextExample[] = [];
  for (let i = 0; i < inLines.length; i++) {
    const line = i + 1;
    const tokens = inLines[i].trim().split(/\s+/).filter((t) => t !== '');
    const slots = outLines[i].trim().split(/\s+/).filter((t) => t !== '');
    const label = labelLines[i].trim();
    if (tokens.length === 0) {
      throw new DatasetFormatError(`${inPath}:${line}: empty line; expected the space-separated tokens of one utterance`);
    }
    if (label === '') {
      throw new DatasetFormatError(`${labelPath}:${line}: empty line; expected the intent of the utterance on line ${line} of seq.in`);
    }
    if (tokens.length !== slots.length) {
      throw new DatasetFormatError(
        `${outPath}:${line}: ${slots.length} slot tags for ${tokens.length} tokens in ${inPath}:${line}; ` +
          'expected exactly one BIO tag per token (the files are misaligned or that line is damaged)',
      );
    }
    examples.push({ text: tokens.join(' '), label, tokens, slots });
  }
  return examples;
}

export function loadSnips(dataDir: string): IntentDataset {
  const splits: Record<SplitName, TextExample[]> = {
    train: readSplit(dataDir, 'train'),
    val: readSplit(dataDir, 'val'),
    test: readSplit(dataDir, 'test'),
  };
  return {
    name: 'snips',
    task: 'intent',
    labels: sortedLabels(splits.train, splits.val, splits.test),
    splits,
    synthetic: false,
    notes: ['train/val/test are the upstream train/valid/test folders (Goo et al. 2018 split); text is the tokens joined by single spaces'],
    licence: SNIPS_INFO.licence,
    source:
      'Coucke et al. 2018 (SNIPS, https://github.com/sonos/nlu-benchmark), split by Goo et al., NAACL 2018 ' +
      '(https://github.com/MiuLab/SlotGated-SLU)',
  };
}
