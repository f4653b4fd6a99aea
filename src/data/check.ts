/**
 * Checks a dataset object built by hand (or transformed) before training on it, so that a
 * missing or empty split is one clear error instead of an accuracy of 0 or a TypeError later.
 */
import { ConfigError } from '../errors.js';
import type { IntentDataset, TextCorpus } from './types.js';

const SPLITS = ['train', 'val', 'test'] as const;

export function checkDataset<T extends IntentDataset | TextCorpus>(data: T): T {
  const name = typeof data.name === 'string' ? `dataset "${data.name}"` : 'the dataset';
  if (data.task !== 'intent' && data.task !== 'lm') throw new ConfigError(`${name}: task must be "intent" or "lm", got ${JSON.stringify((data as { task?: unknown }).task)}`);
  if (!data.splits || typeof data.splits !== 'object') {
    throw new ConfigError(`${name} has no splits: give { train, val, test } arrays, or load your file with loadTextDataset(path), which carves val and test off train`);
  }
  for (const split of SPLITS) {
    const list = data.splits[split];
    if (!Array.isArray(list) || list.length === 0) {
      throw new ConfigError(
        `${name}: the ${split} split is ${Array.isArray(list) ? 'empty' : 'missing'}; every split needs examples ` +
          '(loadTextDataset(path, { valFraction, testFraction }) carves val and test off a single file)',
      );
    }
  }
  if (data.task === 'intent') {
    if (!Array.isArray(data.labels) || data.labels.length < 2) throw new ConfigError(`${name}: labels must list at least two label names`);
    const known = new Set(data.labels);
    for (const split of SPLITS) {
      const bad = data.splits[split].findIndex((e) => typeof e.text !== 'string' || !known.has(e.label));
      if (bad >= 0) {
        const e = data.splits[split][bad];
        throw new ConfigError(
          `${name}: ${split} example ${bad} ${typeof e.text !== 'string' ? 'has no text' : `has the label "${e.label}", which is not in labels`}; labels must list every label used`,
        );
      }
    }
  }
  return data;
}
