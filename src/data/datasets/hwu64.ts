/**
 * HWU64 (Liu et al., IWSDS 2019), fold KFold_1 of xliuhw/NLU-Evaluation-Data: 64 intents in 18
 * scenarios. One `;`-separated, quoted CSV per scenario_intent in `train/` and `test/`; the
 * label is `scenario_intent` and the scenario is the domain (a natural federated silo).
 */
import { DatasetFormatError } from '../../errors.js';
import type { DatasetInfo, IntentDataset, TextExample } from '../types.js';
import { parseDelimitedTable, readParsedFile, requireDataFiles } from './read-file.js';
import { sortedLabels, stratifiedHoldOut } from './stratified-split.js';

const HEADER = ['answerid', 'scenario', 'intent', 'answer_annotation', 'answer_from_anno', 'answer_from_user'] as const;
const VAL_FRACTION = 0.1;

export const HWU64_INFO: DatasetInfo = {
  name: 'hwu64',
  task: 'intent',
  description: 'HWU64 home-assistant queries (fold KFold_1), 64 scenario_intent labels in 18 scenarios',
  licence: 'CC BY 4.0',
  files: ['hwu64/train/*.csv', 'hwu64/test/*.csv'],
};

interface HwuFile {
  examples: TextExample[];
  /** Rows whose answer_from_anno was empty, so answer_from_user was used. */
  fromUser: number;
}

function parseHwuCsv(text: string, path: string): HwuFile {
  const rows = parseDelimitedTable(text, path, ';', HEADER);
  let fromUser = 0;
  const examples = rows.map(({ fields, line }) => {
    const scenario = fields[1].trim();
    const intent = fields[2].trim();
    let utterance = fields[4].trim();
    if (utterance === '') {
      utterance = fields[5].trim();
      fromUser++;
    }
    if (scenario === '' || intent === '' || utterance === '') {
      throw new DatasetFormatError(
        `${path}:${line}: expected a scenario, an intent and a text (answer_from_anno or answer_from_user), ` +
          `found scenario "${scenario}", intent "${intent}", text "${utterance}"`,
      );
    }
    return { text: utterance, label: `${scenario}_${intent}`, domain: scenario };
  });
  return { examples, fromUser };
}

function readFolder(dataDir: string, folder: 'train' | 'test'): HwuFile {
  const paths = requireDataFiles(dataDir, `hwu64/${folder}`, '.csv', 'hwu64');
  const examples: TextExample[] = [];
  let fromUser = 0;
  for (const path of paths) {
    const file = readParsedFile(path, 'hwu64', parseHwuCsv);
    for (const e of file.examples) examples.push({ text: e.text, label: e.label, domain: e.domain });
    fromUser += file.fromUser;
  }
  return { examples, fromUser };
}

export function loadHwu64(dataDir: string, seed = 0): IntentDataset {
  const train = readFolder(dataDir, 'train');
  const test = readFolder(dataDir, 'test');
  const { kept, heldOut } = stratifiedHoldOut(train.examples, VAL_FRACTION, seed, 'hwu64:val');
  const notes = [
    `val is a stratified ${VAL_FRACTION * 100}% of hwu64/train (${heldOut.length} of ${train.examples.length}), ` +
      `chosen deterministically with seed ${seed}; train is the rest; test is hwu64/test (fold KFold_1)`,
    'label = scenario_intent, domain = scenario, text = answer_from_anno (answer_from_user when that is empty)',
  ];
  if (train.fromUser + test.fromUser > 0) notes.push(`${train.fromUser + test.fromUser} rows had an empty answer_from_anno and use answer_from_user`);
  return {
    name: 'hwu64',
    task: 'intent',
    labels: sortedLabels(kept, heldOut, test.examples),
    splits: { train: kept, val: heldOut, test: test.examples },
    synthetic: false,
    notes,
    licence: HWU64_INFO.licence,
    source:
      'Liu, Eshghi, Swietojanski & Rieser, "Benchmarking Natural Language Understanding Services for building ' +
      'Conversational Agents", IWSDS 2019, https://github.com/xliuhw/NLU-Evaluation-Data',
  };
}
