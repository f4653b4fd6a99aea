/**
 * Canaries for a slot-tagging model, as Parikh et al. (2022) plant them: "my pin code is
 * 3 7 1 9", carrying one intent (SharePinCode) and tagging the digits as a slot (B-pin I-pin
 * I-pin I-pin), inserted into the full training set.
 *
 * Canaries of one format compete inside one model: the attacker knows only the format, the
 * intent and the tags, all shared, so the attack can return at most one code per format (the
 * one the model prefers). A trial is therefore one model with one canary (the paper's
 * design); the study attacks never-inserted codes of the same format as its control.
 */
import { SeededRandom } from '../../engine/random.js';
import { ConfigError } from '../../errors.js';
import type { IntentDataset, TextExample } from '../../data/types.js';

export const SLOT_CANARY_INTENT = 'SharePinCode';
export const SLOT_CANARY_SLOT = 'pin';
/** The words before the code (what the attacker knows). */
export const SLOT_CANARY_PREFIX = ['my', 'pin', 'code', 'is'];

export interface SlotCanary {
  /** The secret digits, e.g. "3719". */
  code: string;
  /** Times inserted into the training split (0: a reference, never inserted). */
  repetitions: number;
  tokens: string[];
  slots: string[];
}

export function slotCanaryTags(length: number): string[] {
  return [...SLOT_CANARY_PREFIX.map(() => 'O'), `B-${SLOT_CANARY_SLOT}`, ...Array.from({ length: length - 1 }, () => `I-${SLOT_CANARY_SLOT}`)];
}

/** A canary with a uniformly random code of `length` digits. */
export function drawSlotCanary(length: number, repetitions: number, rng: SeededRandom): SlotCanary {
  if (!(Number.isInteger(repetitions) && repetitions >= 0)) throw new ConfigError(`canary repetitions must be an integer ≥ 0, got ${repetitions}`);
  if (!(Number.isInteger(length) && length >= 1)) throw new ConfigError(`canary code length must be an integer ≥ 1, got ${length}`);
  const code = Array.from({ length }, () => String(rng.int(10))).join('');
  return { code, repetitions, tokens: [...SLOT_CANARY_PREFIX, ...code], slots: slotCanaryTags(length) };
}

/**
 * The dataset with each canary inserted `repetitions` times at random places in the training
 * split, as an utterance of SLOT_CANARY_INTENT (added to the labels).
 */
export function insertSlotCanaries(dataset: IntentDataset, canaries: SlotCanary[], rng: SeededRandom): IntentDataset {
  if (dataset.labels.includes(SLOT_CANARY_INTENT)) throw new ConfigError(`dataset ${dataset.name} already has an intent "${SLOT_CANARY_INTENT}"`);
  const train = [...dataset.splits.train];
  for (const c of canaries) {
    const example: TextExample = { text: c.tokens.join(' '), label: SLOT_CANARY_INTENT, tokens: c.tokens, slots: c.slots };
    for (let r = 0; r < c.repetitions; r++) train.splice(rng.int(train.length + 1), 0, example);
  }
  const inserted = canaries.reduce((n, c) => n + c.repetitions, 0);
  return {
    ...dataset,
    labels: [...dataset.labels, SLOT_CANARY_INTENT].sort(),
    splits: { ...dataset.splits, train },
    notes: [...dataset.notes, `slot canaries: ${canaries.filter((c) => c.repetitions > 0).length} inserted ${inserted} times in all`],
  };
}
