/**
 * Canaries: secrets of a known format (a PIN, a phone number) inserted into training data a
 * chosen number of times, so that an audit can later measure how much the model memorised
 * them (exposure for language models, extraction for classifiers). The inserted canaries
 * are recorded in the checkpoint's meta; same-format canaries that were never inserted
 * (repetitions 0) are the reference.
 */
import { SeededRandom } from '../../engine/random.js';
import { ConfigError } from '../../errors.js';
import type { IntentDataset, TextCorpus } from '../../data/types.js';
import { candidateSpaceSize, randomCanary, type CanaryFormat } from '../attacks/exposure.js';

export interface Canary {
  text: string;
  /** Times inserted into the training split (0: a reference canary, never inserted). */
  repetitions: number;
  format: string;
  /** Classifiers: the label the canary utterances carry. */
  label?: string;
}

export interface CanaryPlan {
  /** e.g. "my pin code is {d}{d}{d}{d}". */
  format: string;
  /** One canary per entry; 0 adds a never-inserted reference canary. */
  repetitions: number[];
  /** Classifiers: the intent label of the canary utterances. */
  label?: string;
  /** Classifiers: one label per canary (overrides `label`), so that each canary is its own extraction target. */
  labels?: string[];
}

/**
 * Canaries as recorded (checkpoint meta, or a user's file): an array of { text, format, label?,
 * repetitions }, each text an instance of its format. Anything else is a ConfigError naming the
 * entry and field.
 */
export function parseCanaries(value: unknown, where: string): Canary[] {
  if (!Array.isArray(value) || value.length === 0) throw new ConfigError(`${where}: canaries must be a non-empty JSON array of { "text", "format", "label", "repetitions" }`);
  return value.map((entry, i) => {
    const at = `${where}: canary ${i + 1}`;
    if (!entry || typeof entry !== 'object') throw new ConfigError(`${at} is not an object`);
    const c = entry as Record<string, unknown>;
    if (typeof c.text !== 'string' || c.text === '') throw new ConfigError(`${at}: "text" must be the canary's text`);
    if (typeof c.format !== 'string' || !/\{[dl]\}/.test(c.format)) throw new ConfigError(`${at}: "format" must be its format with {d} (digit) or {l} (letter) placeholders, e.g. "my pin code is {d} {d} {d} {d}"`);
    const parts = c.format.split(/(\{[dl]\})/).map((part) => (part === '{d}' ? '[0-9]' : part === '{l}' ? '[a-z]' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    const pattern = new RegExp('^' + parts.join('') + '$');
    if (!pattern.test(c.text)) throw new ConfigError(`${at}: "${c.text}" is not an instance of its format "${c.format}"`);
    const repetitions = c.repetitions ?? 1;
    if (!(Number.isInteger(repetitions) && (repetitions as number) >= 0)) throw new ConfigError(`${at}: "repetitions" must be an integer ≥ 0 (times it was inserted; 0 for a never-inserted reference)`);
    if (c.label !== undefined && typeof c.label !== 'string') throw new ConfigError(`${at}: "label" must be the class name its utterances carried`);
    return { text: c.text, format: c.format, repetitions: repetitions as number, ...(c.label !== undefined ? { label: c.label as string } : {}) };
  });
}

export function drawCanaries(plan: CanaryPlan, rng: SeededRandom): Canary[] {
  const format: CanaryFormat = { template: plan.format };
  if (!/\{[dl]\}/.test(plan.format)) throw new ConfigError(`canary format "${plan.format}" has no {d} or {l} placeholder`);
  if (plan.repetitions.some((r) => !(Number.isInteger(r) && r >= 0))) {
    throw new ConfigError(`canary repetitions must be integers ≥ 0, got ${plan.repetitions.join(',')}`);
  }
  const space = candidateSpaceSize(format);
  if (plan.repetitions.length > space) throw new ConfigError(`format "${plan.format}" has only ${space} candidates`);
  if (plan.labels && plan.labels.length !== plan.repetitions.length) {
    throw new ConfigError(`${plan.labels.length} canary labels for ${plan.repetitions.length} canaries: give one label per canary`);
  }
  const seen = new Set<string>();
  return plan.repetitions.map((repetitions, k) => {
    let text: string;
    do text = randomCanary(format, rng);
    while (seen.has(text));
    seen.add(text);
    return { text, repetitions, format: plan.format, label: plan.labels?.[k] ?? plan.label };
  });
}

/** Inserts each canary `repetitions` times as its own unit at random places in the training split. */
export function insertCanariesIntoCorpus(corpus: TextCorpus, canaries: Canary[], rng: SeededRandom): TextCorpus {
  const train = [...corpus.splits.train];
  for (const c of canaries) {
    for (let r = 0; r < c.repetitions; r++) train.splice(rng.int(train.length + 1), 0, { text: c.text });
  }
  return { ...corpus, splits: { ...corpus.splits, train }, notes: [...corpus.notes, `canaries inserted: ${canaries.filter((c) => c.repetitions > 0).length}`] };
}

export function insertCanariesIntoDataset(dataset: IntentDataset, canaries: Canary[], rng: SeededRandom): IntentDataset {
  const train = [...dataset.splits.train];
  for (const c of canaries) {
    if (!c.label || !dataset.labels.includes(c.label)) {
      throw new ConfigError(`canary label "${c.label}" is not a label of ${dataset.name} (pass one of its intents)`);
    }
    for (let r = 0; r < c.repetitions; r++) train.splice(rng.int(train.length + 1), 0, { text: c.text, label: c.label });
  }
  return { ...dataset, splits: { ...dataset.splits, train }, notes: [...dataset.notes, `canaries inserted: ${canaries.filter((c) => c.repetitions > 0).length}`] };
}
