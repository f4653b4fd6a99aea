/**
 * Canaries for a slot-tagging model, as Parikh et al. (2022) plant them: "my pin code is
 * 3 7 1 9", carrying one intent (SharePinCode) and tagging the digits as a slot (B-pin I-pin
 * I-pin I-pin), inserted into the full training set.
 *
 * Canaries of one format compete inside one model: the attacker knows only the format, the
 * intent and the tags, all shared, so the attack can return at most one code per format (the
 * one the model prefers). A model therefore holds at most one canary per format: the paper's
 * design is one canary (the first format) per model; SLOT_CANARY_FORMATS gives further
 * formats (distinct four-word prefixes, no word shared between them) so that one model can
 * carry several canaries that do not compete for the same prefix.
 */
import { SeededRandom } from '../../engine/random.js';
import { ConfigError } from '../../errors.js';
import type { IntentDataset, TextExample } from '../../data/types.js';

export const SLOT_CANARY_INTENT = 'SharePinCode';
export const SLOT_CANARY_SLOT = 'pin';
/** The words before the code (what the attacker knows). */
export const SLOT_CANARY_PREFIX = ['my', 'pin', 'code', 'is'];

/**
 * Canary formats: the paper's prefix first, then nineteen more, each four words and no word in two
 * formats, so a model can hold one canary per format. All carry the same intent and slot.
 */
export const SLOT_CANARY_FORMATS: readonly (readonly string[])[] = [
  SLOT_CANARY_PREFIX,
  ['the', 'door', 'password', 'reads'],
  ['our', 'alarm', 'passcode', 'equals'],
  ['his', 'safe', 'combination', 'was'],
  ['her', 'locker', 'number', 'became'],
  ['your', 'account', 'secret', 'remains'],
  ['their', 'garage', 'key', 'stays'],
  ['a', 'vault', 'cipher', 'says'],
  ['this', 'card', 'token', 'shows'],
  ['that', 'gate', 'login', 'matches'],
  ['every', 'phone', 'unlock', 'needs'],
  ['some', 'wifi', 'phrase', 'uses'],
  ['each', 'office', 'badge', 'carries'],
  ['one', 'bank', 'identifier', 'gives'],
  ['any', 'mailbox', 'pass', 'holds'],
  ['its', 'server', 'credential', 'contains'],
  ['both', 'building', 'entry', 'requires'],
  ['another', 'tablet', 'access', 'accepts'],
  ['such', 'hotel', 'room', 'opened'],
  ['whose', 'lobby', 'keypad', 'wants'],
];

export interface SlotCanary {
  /** The words before the code (one of SLOT_CANARY_FORMATS; what the attacker knows). */
  prefix: string[];
  /** The secret digits, e.g. "3719". */
  code: string;
  /** Times inserted into the training split (0: a reference, never inserted). */
  repetitions: number;
  tokens: string[];
  slots: string[];
}

export function slotCanaryTags(length: number, prefixLength = SLOT_CANARY_PREFIX.length): string[] {
  return [...Array.from({ length: prefixLength }, () => 'O'), `B-${SLOT_CANARY_SLOT}`, ...Array.from({ length: length - 1 }, () => `I-${SLOT_CANARY_SLOT}`)];
}

/** A canary with a uniformly random code of `length` digits, after `prefix` (the paper's by default). */
export function drawSlotCanary(length: number, repetitions: number, rng: SeededRandom, prefix: readonly string[] = SLOT_CANARY_PREFIX): SlotCanary {
  if (!(Number.isInteger(repetitions) && repetitions >= 0)) throw new ConfigError(`canary repetitions must be an integer ≥ 0, got ${repetitions}`);
  if (!(Number.isInteger(length) && length >= 1)) throw new ConfigError(`canary code length must be an integer ≥ 1, got ${length}`);
  if (prefix.length === 0 || prefix.some((w) => typeof w !== 'string' || !/^\S+$/.test(w))) throw new ConfigError('a canary prefix must be one or more words without spaces');
  const code = Array.from({ length }, () => String(rng.int(10))).join('');
  return { prefix: [...prefix], code, repetitions, tokens: [...prefix, ...code], slots: slotCanaryTags(length, prefix.length) };
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
