/**
 * Tokenisers with their vocabularies. A tokenizer serialises to plain JSON and is stored
 * inside every checkpoint, so a saved model encodes text exactly as it did in training.
 */
import { ConfigError } from '../errors.js';

export const PAD = '<pad>';
export const UNK = '<unk>';
export const BOS = '<bos>';
export const EOS = '<eos>';
export const PAD_ID = 0;
export const UNK_ID = 1;
export const BOS_ID = 2;
export const EOS_ID = 3;
const SPECIALS = [PAD, UNK, BOS, EOS];

/** Words (letters/digits, with an inner apostrophe: "don't", "john's") and single punctuation marks. */
const WORD_PATTERN = /[\p{L}\p{N}]+(?:'[\p{L}\p{N}]+)*|[^\s\p{L}\p{N}]/gu;

export function splitWords(text: string): string[] {
  return text.toLowerCase().match(WORD_PATTERN) ?? [];
}

export interface VocabularyOptions {
  /** Tokens seen fewer times than this map to <unk> (default 1). */
  minCount?: number;
  /** Keep at most this many tokens, specials included, most frequent first (default: no limit). */
  maxSize?: number;
}

export interface TokenizerJSON {
  type: 'word' | 'char';
  tokens: string[];
  /**
   * Only for a vocabulary that does not start with trustnlu's special tokens (a plain
   * vocabulary file, e.g. Keras's TextVectorization vocabulary): id 0 pads, this id stands for
   * every token outside the vocabulary, and there is no <bos>/<eos>.
   */
  unknownId?: number;
}

export interface Tokenizer {
  readonly type: 'word' | 'char';
  readonly vocabSize: number;
  /** The id of tokens outside the vocabulary (UNK_ID unless the vocabulary came from a plain file). */
  readonly unknownId: number;
  /** Token ids of a text (no <bos>/<eos>; unknown tokens → <unk>). */
  encode(text: string): number[];
  /** Text of token ids (words joined by spaces; characters concatenated); specials dropped. */
  decode(ids: ArrayLike<number>): string;
  /** The token strings of a text, as the model sees them. */
  pieces(text: string): string[];
  tokenOf(id: number): string;
  idOf(token: string): number;
  toJSON(): TokenizerJSON;
}

abstract class VocabularyTokenizer implements Tokenizer {
  abstract readonly type: 'word' | 'char';
  protected readonly ids = new Map<string, number>();
  readonly unknownId: number;
  /** False for a plain vocabulary (id 0 pads, `unknownId` is unknown, no <bos>/<eos>). */
  readonly hasSpecialTokens: boolean;

  /** `unknownId` given: a plain vocabulary, whose only special ids are 0 (padding) and that one. */
  constructor(protected readonly tokens: string[], unknownId?: number) {
    this.hasSpecialTokens = unknownId === undefined;
    if (unknownId === undefined) {
      for (let i = 0; i < SPECIALS.length; i++) {
        if (tokens[i] !== SPECIALS[i]) throw new ConfigError(`vocabulary must start with ${SPECIALS.join(', ')} (or give the id of its unknown token, for a plain vocabulary whose id 0 pads)`);
      }
      this.unknownId = UNK_ID;
    } else {
      if (!(Number.isInteger(unknownId) && unknownId > PAD_ID && unknownId < tokens.length)) {
        throw new ConfigError(`the unknown token's id must be an id of the vocabulary other than ${PAD_ID} (padding), got ${unknownId} for ${tokens.length} tokens`);
      }
      this.unknownId = unknownId;
    }
    tokens.forEach((t, i) => {
      if (this.ids.has(t)) throw new ConfigError(`vocabulary has "${t}" twice (ids ${this.ids.get(t)} and ${i})`);
      this.ids.set(t, i);
    });
  }

  get vocabSize(): number {
    return this.tokens.length;
  }

  abstract pieces(text: string): string[];
  protected abstract join(pieces: string[]): string;

  encode(text: string): number[] {
    return this.pieces(text).map((p) => this.ids.get(p) ?? this.unknownId);
  }

  decode(ids: ArrayLike<number>): string {
    const out: string[] = [];
    const unknown = this.tokens[this.unknownId];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (id === PAD_ID || (this.hasSpecialTokens && (id === BOS_ID || id === EOS_ID))) continue;
      out.push(this.tokens[id] ?? unknown);
    }
    return this.join(out);
  }

  tokenOf(id: number): string {
    return this.tokens[id] ?? this.tokens[this.unknownId];
  }

  idOf(token: string): number {
    return this.ids.get(token) ?? this.unknownId;
  }

  toJSON(): TokenizerJSON {
    return { type: this.type, tokens: [...this.tokens], ...(this.hasSpecialTokens ? {} : { unknownId: this.unknownId }) };
  }
}

export class WordTokenizer extends VocabularyTokenizer {
  readonly type = 'word' as const;
  pieces(text: string): string[] {
    return splitWords(text);
  }
  protected join(pieces: string[]): string {
    return pieces.join(' ');
  }
}

export class CharTokenizer extends VocabularyTokenizer {
  readonly type = 'char' as const;
  pieces(text: string): string[] {
    return Array.from(text);
  }
  protected join(pieces: string[]): string {
    return pieces.join('');
  }
}

/** Counts, then keeps tokens by descending frequency (ties: first seen), specials first. */
export function buildVocabulary(pieceLists: Iterable<string[]>, options: VocabularyOptions = {}): string[] {
  const minCount = options.minCount ?? 1;
  const maxSize = options.maxSize ?? Infinity;
  if (!(minCount >= 1)) throw new ConfigError(`minCount must be ≥ 1, got ${minCount}`);
  if (!(maxSize > SPECIALS.length)) throw new ConfigError(`maxSize must exceed ${SPECIALS.length} (the special tokens), got ${maxSize}`);
  const counts = new Map<string, number>();
  for (const pieces of pieceLists) for (const p of pieces) counts.set(p, (counts.get(p) ?? 0) + 1);
  for (const s of SPECIALS) counts.delete(s);
  const kept = [...counts.entries()]
    .filter(([, c]) => c >= minCount)
    .sort((a, b) => b[1] - a[1]) // stable: equal counts keep first-seen order
    .slice(0, maxSize - SPECIALS.length)
    .map(([t]) => t);
  return [...SPECIALS, ...kept];
}

export function fitWordTokenizer(texts: Iterable<string>, options: VocabularyOptions = {}): WordTokenizer {
  const lists = (function* () {
    for (const t of texts) yield splitWords(t);
  })();
  return new WordTokenizer(buildVocabulary(lists, options));
}

export function fitCharTokenizer(texts: Iterable<string>, options: VocabularyOptions = {}): CharTokenizer {
  const lists = (function* () {
    for (const t of texts) yield Array.from(t);
  })();
  return new CharTokenizer(buildVocabulary(lists, options));
}

export function tokenizerFromJSON(json: TokenizerJSON): Tokenizer {
  if (!json || !Array.isArray(json.tokens)) throw new ConfigError('tokenizer JSON must have a "tokens" array');
  if (json.tokens.some((t) => typeof t !== 'string')) throw new ConfigError('tokenizer JSON: every entry of "tokens" must be a string');
  if (json.unknownId !== undefined && typeof json.unknownId !== 'number') throw new ConfigError(`tokenizer JSON: "unknownId" must be a number, got ${JSON.stringify(json.unknownId)}`);
  if (json.type === 'word') return new WordTokenizer(json.tokens, json.unknownId);
  if (json.type === 'char') return new CharTokenizer(json.tokens, json.unknownId);
  throw new ConfigError(`unknown tokenizer type ${JSON.stringify((json as { type: unknown }).type)}: expected "word" or "char"`);
}

/** How a plain vocabulary file may spell its unknown token (trustnlu's, and Keras's and BERT's). */
export const UNKNOWN_TOKEN_SPELLINGS: readonly string[] = [UNK, '[UNK]'];

/**
 * A word tokenizer from a plain vocabulary: one token per line, line k (from 0) the token of
 * id k, so the ids are the ones the model was trained with. Id 0 pads, whatever its text ("",
 * "<pad>", "[PAD]"); the first line reading <unk> or [UNK] is the id of every word outside the
 * vocabulary (required). Text is split as trustnlu's word tokenizer splits it (lower-cased
 * words and single punctuation marks), so the vocabulary's words should be lower-case.
 * Keras's TextVectorization vocabulary ("" then "[UNK]") fits as it is.
 */
export function plainVocabularyTokenizer(text: string, where = 'vocabulary'): Tokenizer {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop(); // the file's final line break
  const unknownId = lines.findIndex((t) => UNKNOWN_TOKEN_SPELLINGS.includes(t));
  if (unknownId < 0) throw new ConfigError(`${where}: no line reads ${UNKNOWN_TOKEN_SPELLINGS.join(' or ')}; a plain vocabulary needs an unknown token for words outside it (add a line <unk>, e.g. as line 2)`);
  if (unknownId === PAD_ID) throw new ConfigError(`${where}: line 1 is the padding token (id ${PAD_ID}), not ${lines[0]}; put the padding token (any text, e.g. an empty line or <pad>) first`);
  const seen = new Map<string, number>();
  lines.forEach((t, i) => {
    const first = seen.get(t);
    if (first !== undefined) throw new ConfigError(`${where}: lines ${first + 1} and ${i + 1} both read "${t}"; each token must appear once (line k+1 is the token of id k)`);
    seen.set(t, i);
  });
  return new WordTokenizer(lines, unknownId);
}
