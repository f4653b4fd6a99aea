/**
 * Banking77 (Casanueva et al., NLP4ConvAI 2020): 77 fine-grained banking intents. Upstream has
 * train.csv and test.csv (`text,category`, RFC 4180 quoting; a few texts contain commas,
 * doubled quotes and even newlines), so validation is carved out of train.
 */
import { DatasetFormatError } from '../../errors.js';
import type { DatasetInfo, IntentDataset, TextExample } from '../types.js';
import { parseDelimitedTable, readParsedFile, requireDataFile } from './read-file.js';
import { sortedLabels, stratifiedHoldOut } from './stratified-split.js';

const TRAIN_FILE = 'banking77/train.csv';
const TEST_FILE = 'banking77/test.csv';
const HEADER = ['text', 'category'] as const;
const VAL_FRACTION = 0.1;

export const BANKING77_INFO: DatasetInfo = {
  name: 'banking77',
  task: 'intent',
  description: 'Banking77 online-banking customer queries, 77 fine-grained intents (no out-of-scope class)',
  licence: 'CC BY 4.0',
  files: [TRAIN_FILE, TEST_FILE],
};

interface Banking77File {
  examples: TextExample[];
  /** Rows whose text held line breaks or surrounding whitespace (normalised to single spaces). */
  normalised: number;
}

function parseBankingCsv(text: string, path: string): Banking77File {
  const rows = parseDelimitedTable(text, path, ',', HEADER);
  let normalised = 0;
  const examples = rows.map(({ fields, line }) => {
    const clean = normaliseWhitespace(fields[0]);
    if (clean !== fields[0]) normalised++;
    const label = fields[1].trim();
    if (clean === '' || label === '') {
      throw new DatasetFormatError(`${path}:${line}: expected a non-empty text and category, found "${fields.join(',')}"`);
    }
    return { text: clean, label };
  });
  return { examples, normalised };
}

/** Line breaks inside a quoted text are upload artefacts, not content: they become spaces. */
function normaliseWhitespace(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

export function loadBanking77(dataDir: string, seed = 0): IntentDataset {
  const trainPath = requireDataFile(dataDir, TRAIN_FILE, 'banking77');
  const testPath = requireDataFile(dataDir, TEST_FILE, 'banking77');
  const trainFile = readParsedFile(trainPath, 'banking77', parseBankingCsv);
  const testFile = readParsedFile(testPath, 'banking77', parseBankingCsv);
  const copy = (list: TextExample[]): TextExample[] => list.map((e) => ({ text: e.text, label: e.label }));
  const { kept, heldOut } = stratifiedHoldOut(copy(trainFile.examples), VAL_FRACTION, seed, 'banking77:val');
  const test = copy(testFile.examples);
  const notes = [
    `val is a stratified ${VAL_FRACTION * 100}% of ${TRAIN_FILE} (${heldOut.length} of ${trainFile.examples.length}), ` +
      `chosen deterministically with seed ${seed}; train is the rest; test is ${TEST_FILE}`,
  ];
  const normalised = trainFile.normalised + testFile.normalised;
  if (normalised > 0) {
    notes.push(`${normalised} texts had line breaks or surrounding whitespace inside their quoted field; line breaks became single spaces and the texts were trimmed`);
  }
  return {
    name: 'banking77',
    task: 'intent',
    labels: sortedLabels(kept, heldOut, test),
    splits: { train: kept, val: heldOut, test },
    synthetic: false,
    notes,
    licence: BANKING77_INFO.licence,
    source:
      'Casanueva et al., "Efficient Intent Detection with Dual Sentence Encoders", NLP4ConvAI 2020, ' +
      'https://github.com/PolyAI-LDN/task-specific-datasets',
  };
}
