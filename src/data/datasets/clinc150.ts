/**
 * CLINC150 (Larson et al., EMNLP-IJCNLP 2019): 150 intents in 10 domains plus out-of-scope
 * queries. The upstream JSON holds `train/val/test` of `[text, intent]` pairs and separate
 * `oos_train/oos_val/oos_test` lists; here the out-of-scope examples join their split with the
 * label "oos", so an evaluation can score in-scope accuracy and out-of-scope detection together.
 */
import { DatasetFormatError } from '../../errors.js';
import type { DatasetInfo, IntentDataset, SplitName, TextExample } from '../types.js';
import { parseJsonText, readParsedFile, requireDataFile } from './read-file.js';
import { sortedLabels } from './stratified-split.js';

export type Clinc150Variant = 'full' | 'small' | 'imbalanced';

export const CLINC150_OOS_LABEL = 'oos';
const DOMAINS_FILE = 'clinc150/domains.json';
const VARIANT_FILES: Record<Clinc150Variant, string> = {
  full: 'clinc150/data_full.json',
  small: 'clinc150/data_small.json',
  imbalanced: 'clinc150/data_imbalanced.json',
};
const VARIANT_NAMES: Record<Clinc150Variant, string> = {
  full: 'clinc150',
  small: 'clinc150-small',
  imbalanced: 'clinc150-imbalanced',
};
const VARIANT_DESCRIPTIONS: Record<Clinc150Variant, string> = {
  full: 'CLINC150 intent classification, 150 intents in 10 domains plus out-of-scope ("oos"); 100 train examples per intent',
  small: 'CLINC150 "small" variant: 50 train examples per intent (val and test as in the full set), plus out-of-scope',
  imbalanced: 'CLINC150 "imbalanced" variant: 25 to 100 train examples per intent (val and test as in the full set), plus out-of-scope',
};
const LICENCE = 'CC BY 3.0';
const SOURCE =
  'Larson et al., "An Evaluation Dataset for Intent Classification and Out-of-Scope Prediction", ' +
  'EMNLP-IJCNLP 2019, https://github.com/clinc/oos-eval';

export function clinc150Info(variant: Clinc150Variant): DatasetInfo {
  return {
    name: VARIANT_NAMES[variant],
    task: 'intent',
    description: VARIANT_DESCRIPTIONS[variant],
    licence: LICENCE,
    files: [VARIANT_FILES[variant], DOMAINS_FILE],
  };
}

const JSON_KEYS = ['train', 'val', 'test', 'oos_train', 'oos_val', 'oos_test'] as const;
type ClincKey = (typeof JSON_KEYS)[number];
type ClincJson = Record<ClincKey, [string, string][]>;

function parseClincJson(text: string, path: string): ClincJson {
  const data = parseJsonText(text, path);
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new DatasetFormatError(`${path}: expected a JSON object with keys ${JSON_KEYS.join(', ')}, found ${describe(data)}`);
  }
  const record = data as Record<string, unknown>;
  for (const key of JSON_KEYS) {
    const list = record[key];
    if (!Array.isArray(list)) {
      throw new DatasetFormatError(
        `${path}: expected "${key}" to be an array of [text, intent] pairs, found ${describe(list)}; ` +
          'this loader reads the upstream clinc/oos-eval files unchanged',
      );
    }
    list.forEach((pair, index) => {
      if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') {
        throw new DatasetFormatError(
          `${path}: "${key}"[${index}] should be a [text, intent] pair of two strings, found ${JSON.stringify(pair)?.slice(0, 80)}`,
        );
      }
    });
  }
  return record as ClincJson;
}

function parseDomainsJson(text: string, path: string): Map<string, string> {
  const data = parseJsonText(text, path);
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new DatasetFormatError(`${path}: expected a JSON object {domain: [intent, ...]}, found ${describe(data)}`);
  }
  const intentToDomain = new Map<string, string>();
  for (const [domain, intents] of Object.entries(data as Record<string, unknown>)) {
    if (!Array.isArray(intents) || intents.some((i) => typeof i !== 'string')) {
      throw new DatasetFormatError(`${path}: domain "${domain}" should map to an array of intent names, found ${describe(intents)}`);
    }
    for (const intent of intents as string[]) {
      const previous = intentToDomain.get(intent);
      if (previous !== undefined && previous !== domain) {
        throw new DatasetFormatError(`${path}: intent "${intent}" is listed under two domains, "${previous}" and "${domain}"`);
      }
      intentToDomain.set(intent, domain);
    }
  }
  return intentToDomain;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing (key missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return typeof value;
}

export function loadClinc150(dataDir: string, variant: Clinc150Variant = 'full'): IntentDataset {
  const name = VARIANT_NAMES[variant];
  const dataPath = requireDataFile(dataDir, VARIANT_FILES[variant], name);
  const domainsPath = requireDataFile(dataDir, DOMAINS_FILE, name);
  const raw = readParsedFile(dataPath, 'clinc150', parseClincJson);
  const domains = readParsedFile(domainsPath, 'clinc150-domains', parseDomainsJson);

  const build = (inScope: ClincKey, outOfScope: ClincKey): TextExample[] => {
    const out: TextExample[] = [];
    raw[inScope].forEach(([text, label], index) => {
      const domain = domains.get(label);
      if (domain === undefined) {
        throw new DatasetFormatError(
          `${dataPath}: "${inScope}"[${index}] has intent "${label}", which ${domainsPath} does not list under any domain; ` +
            'use the domains.json from the same clinc/oos-eval commit',
        );
      }
      out.push({ text, label, domain });
    });
    raw[outOfScope].forEach(([text]) => out.push({ text, label: CLINC150_OOS_LABEL, domain: CLINC150_OOS_LABEL }));
    return out;
  };
  const splits: Record<SplitName, TextExample[]> = {
    train: build('train', 'oos_train'),
    val: build('val', 'oos_val'),
    test: build('test', 'oos_test'),
  };
  return {
    name,
    task: 'intent',
    labels: sortedLabels(splits.train, splits.val, splits.test),
    splits,
    synthetic: false,
    outOfScopeLabel: CLINC150_OOS_LABEL,
    notes: [
      `train/val/test are the upstream splits of ${VARIANT_FILES[variant]}; the upstream oos_train/oos_val/oos_test ` +
        `examples (${raw.oos_train.length}/${raw.oos_val.length}/${raw.oos_test.length}) are added to train/val/test ` +
        `with label "${CLINC150_OOS_LABEL}" and domain "${CLINC150_OOS_LABEL}"`,
      `domain of every in-scope example comes from ${DOMAINS_FILE}`,
    ],
    licence: LICENCE,
    source: SOURCE,
  };
}
