/**
 * SEAT, the Sentence Encoder Association Test (May et al., NAACL 2019): each word of X, Y, A, B
 * is put into semantically bleached templates ("This is {word}.", "{word} is here.", ...), the
 * sentences are encoded, and WEAT runs on the sentence vectors (each sentence is one member of
 * its set). This is the typed hook the project's sentence encoders plug into: any function from
 * sentences to vectors (sync or async) will do.
 *
 * With |templates| sentences per word the sets are large, so the p-value is usually Monte Carlo.
 */
import { ConfigError, ShapeMismatchError } from '../../errors.js';
import { normaliseSets, SET_ROLES, weatFromVectors, type Vector, type WeatOptions, type WeatQuery, type WeatResult, type WeatWordSets } from './weat.js';

/** Encodes sentences to one vector each, in order. */
export type SentenceEncoder = (sentences: string[]) => Vector[] | Promise<Vector[]>;

/** Bleached templates in the style of May et al. (2019); `{word}` is replaced by the word. */
export const SEAT_TEMPLATES: readonly string[] = [
  'This is {word}.',
  'That is {word}.',
  'There is {word}.',
  'Here is {word}.',
  '{word} is here.',
  '{word} is there.',
];

/** Templates with an article, for common nouns ("This is a flower."). */
export const SEAT_NOUN_TEMPLATES: readonly string[] = [
  'This is a {word}.',
  'That is a {word}.',
  'There is a {word}.',
  'Here is a {word}.',
  'The {word} is here.',
  'The {word} is there.',
];

export interface SeatOptions extends WeatOptions {
  /** Templates containing `{word}` (default SEAT_TEMPLATES). */
  templates?: readonly string[];
}

export interface SeatResult extends Omit<WeatResult, 'missing' | 'missingBySet'> {
  /** The sentences of each set, in the order they were encoded. */
  sentences: Record<'X' | 'Y' | 'A' | 'B', string[]>;
}

/** The sentences for a set of words: every word in every template. */
export function fillTemplates(words: string[], templates: readonly string[]): string[] {
  for (const t of templates) {
    if (!t.includes('{word}')) throw new ConfigError(`SEAT: template ${JSON.stringify(t)} has no {word} placeholder`);
  }
  return words.flatMap((w) => templates.map((t) => t.split('{word}').join(w)));
}

export async function seat(sets: WeatWordSets | WeatQuery, encoder: SentenceEncoder, options: SeatOptions = {}): Promise<SeatResult> {
  const templates = options.templates ?? SEAT_TEMPLATES;
  if (templates.length === 0) throw new ConfigError('SEAT: templates is empty');
  const { words, names } = normaliseSets(sets);
  const sentences = { X: [], Y: [], A: [], B: [] } as Record<'X' | 'Y' | 'A' | 'B', string[]>;
  for (const role of SET_ROLES) sentences[role] = fillTemplates(words[role], templates);
  const all = SET_ROLES.flatMap((r) => sentences[r]);
  const encoded = await encoder(all);
  if (!encoded || encoded.length !== all.length) {
    throw new ShapeMismatchError(`SEAT: the encoder returned ${encoded?.length} vectors for ${all.length} sentences; it must return one per sentence`);
  }
  let offset = 0;
  const vectors = {} as Record<'X' | 'Y' | 'A' | 'B', Vector[]>;
  for (const role of SET_ROLES) {
    vectors[role] = encoded.slice(offset, offset + sentences[role].length);
    offset += sentences[role].length;
  }
  const result = weatFromVectors(vectors, options, sentences);
  const sizes = { X: vectors.X.length, Y: vectors.Y.length, A: vectors.A.length, B: vectors.B.length };
  return { ...result, names, sizes, sentences };
}
