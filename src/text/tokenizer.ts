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
}

export interface Tokenizer {
  readonly type: 'word' | 'char';
  readonly vocabSize: number;
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

  constructor(protected readonly tokens: string[]) {
    for (let i = 0; i < SPECIALS.length; i++) {
      if (tokens[i] !== SPECIALS[i]) throw new ConfigError(`vocabulary must start with ${SPECIALS.join(', ')}`);
    }
    tokens.forEach((t, i) => {
      if (this.ids.has(t)) throw new ConfigError(`vocabulary has "${t}" twice`);
      this.ids.set(t, i);
    });
  }

  get vocabSize(): number {
    return this.tokens.length;
  }

  abstract pieces(text: string): string[];
  protected abstract join(pieces: string[]): string;

  encode(text: string): number[] {
    return this.pieces(text).map((p) => this.ids.get(p) ?? UNK_ID);
  }

  decode(ids: ArrayLike<number>): string {
    const out: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (id === PAD_ID || id === BOS_ID || id === EOS_ID) continue;
      out.push(this.tokens[id] ?? UNK);
    }
    return this.join(out);
  }

  tokenOf(id: number): string {
    return this.tokens[id] ?? UNK;
  }

  idOf(token: string): number {
    return this.ids.get(token) ?? UNK_ID;
  }

  toJSON(): TokenizerJSON {
    return { type: this.type, tokens: [...this.tokens] };
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
  if (json.type === 'word') return new WordTokenizer(json.tokens);
  if (json.type === 'char') return new CharTokenizer(json.tokens);
  throw new ConfigError(`unknown tokenizer type ${JSON.stringify((json as { type: unknown }).type)}: expected "word" or "char"`);
}
