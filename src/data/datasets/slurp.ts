/**
 * SLURP text (Bastianelli et al., EMNLP 2020). The upstream train.jsonl is not in the shared
 * data (too large for the stored copy), so train and val are carved from devel.jsonl and test
 * is test.jsonl. Label = scenario_action (the SLURP intent), domain = scenario. `slurp-lm` is lm.txt, the
 * SLURP language-model text, one utterance per line.
 */
import { DatasetFormatError } from '../../errors.js';
import type { DatasetInfo, IntentDataset, TextCorpus, TextExample, TextUnit } from '../types.js';
import { parseJsonLines, readParsedFile, requireDataFile, splitLines } from './read-file.js';
import { contiguousSplit, sortedLabels, stratifiedHoldOut } from './stratified-split.js';

const DEVEL_FILE = 'slurp/devel.jsonl';
const TEST_FILE = 'slurp/test.jsonl';
const LM_FILE = 'slurp/lm.txt';
const VAL_FRACTION = 0.1;
const LICENCE = 'CC BY 4.0 (text)';
const SOURCE =
  'Bastianelli, Vanzo, Swietojanski & Rieser, "SLURP: A Spoken Language Understanding Resource Package", ' +
  'EMNLP 2020, https://github.com/pswietojanski/slurp';

export const SLURP_INFO: DatasetInfo = {
  name: 'slurp',
  task: 'intent',
  description: 'SLURP home-assistant utterances (text only), intents in 18 scenarios; train/val carved from devel (no train text here)',
  licence: LICENCE,
  files: [DEVEL_FILE, TEST_FILE],
};

export const SLURP_LM_INFO: DatasetInfo = {
  name: 'slurp-lm',
  task: 'lm',
  description: 'SLURP lm.txt, one home-assistant utterance per line, as a language-model corpus',
  licence: LICENCE,
  files: [LM_FILE],
};

interface SlurpFile {
  examples: TextExample[];
  /** Records whose own "intent" field is not scenario_action (an upstream annotation slip). */
  intentFieldDiffers: number;
}

/**
 * SLURP annotates scenario and action; the intent is their pair, as in the SLURP paper and the
 * SpeechBrain/ESPnet recipes. The records' own "intent" field is usually that pair, but in
 * about 1% of records it is the bare action ("query", "set") or disagrees with the action, so
 * the label is built from scenario and action instead of read from "intent".
 */
function parseSlurpJsonl(text: string, path: string): SlurpFile {
  let intentFieldDiffers = 0;
  const examples = parseJsonLines(text, path).map(({ value, line }) => {
    const record = value as Record<string, unknown> | null;
    const sentence = record?.sentence;
    const scenario = record?.scenario;
    const action = record?.action;
    if (typeof sentence !== 'string' || typeof scenario !== 'string' || typeof action !== 'string' || sentence.trim() === '') {
      throw new DatasetFormatError(
        `${path}:${line}: expected an object with string fields "sentence", "scenario" and "action" ` +
          `(the upstream SLURP jsonl format), found ${JSON.stringify(value)?.slice(0, 120)}`,
      );
    }
    const label = `${scenario}_${action}`;
    if (record?.intent !== label) intentFieldDiffers++;
    return { text: sentence.trim(), label, domain: scenario };
  });
  return { examples, intentFieldDiffers };
}

export function loadSlurp(dataDir: string, seed = 0): IntentDataset {
  const develPath = requireDataFile(dataDir, DEVEL_FILE, 'slurp');
  const testPath = requireDataFile(dataDir, TEST_FILE, 'slurp');
  const copy = (list: TextExample[]): TextExample[] => list.map((e) => ({ text: e.text, label: e.label, domain: e.domain }));
  const develFile = readParsedFile(develPath, 'slurp', parseSlurpJsonl);
  const testFile = readParsedFile(testPath, 'slurp', parseSlurpJsonl);
  const devel = copy(develFile.examples);
  const test = copy(testFile.examples);
  const { kept, heldOut } = stratifiedHoldOut(devel, VAL_FRACTION, seed, 'slurp:val');
  const trainLabels = new Set(kept.map((e) => e.label));
  const unseenInTest = sortedLabels(test).filter((l) => !trainLabels.has(l));
  const notes = [
    `SLURP's train.jsonl is not included in the data directory, so there is no upstream train text: ` +
      `train and val are a stratified ${100 - VAL_FRACTION * 100}/${VAL_FRACTION * 100} split of ${DEVEL_FILE} ` +
      `(${kept.length}/${heldOut.length}, seed ${seed}); test is ${TEST_FILE}`,
    'label = scenario_action (the SLURP intent), domain = scenario',
    `the records' own "intent" field differs from scenario_action in ${develFile.intentFieldDiffers} devel and ` +
      `${testFile.intentFieldDiffers} test records (mostly the bare action, e.g. "query"); the label ignores that field`,
  ];
  if (unseenInTest.length > 0) {
    notes.push(`${unseenInTest.length} test intents never occur in train: ${unseenInTest.join(', ')}`);
  }
  return {
    name: 'slurp',
    task: 'intent',
    labels: sortedLabels(kept, heldOut, test),
    splits: { train: kept, val: heldOut, test },
    synthetic: false,
    notes,
    licence: LICENCE,
    source: SOURCE,
  };
}

export function loadSlurpLm(dataDir: string): TextCorpus {
  const path = requireDataFile(dataDir, LM_FILE, 'slurp-lm');
  const lines = readParsedFile(path, 'slurp-lm', (text) => splitLines(text).map((l) => l.trim()).filter((l) => l !== ''));
  const units: TextUnit[] = lines.map((text) => ({ text }));
  const splits = contiguousSplit(units);
  return {
    name: 'slurp-lm',
    task: 'lm',
    splits,
    synthetic: false,
    notes: [
      `one unit per non-empty line of ${LM_FILE} (${units.length} lines); contiguous split: the first 90% train, ` +
        `the next 5% val, the last 5% test (${splits.train.length}/${splits.val.length}/${splits.test.length})`,
    ],
    licence: LICENCE,
    source: SOURCE,
  };
}
