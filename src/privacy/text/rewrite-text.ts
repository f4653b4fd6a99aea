/**
 * Rewriting texts word by word with a word mechanism. Texts are split as the toolkit's word
 * tokenizer does (lower-cased words, punctuation marks as separate tokens) and joined back
 * with single spaces. A token missing from the embedding vocabulary (a name, a number, a
 * punctuation mark the embeddings lack) cannot be privatised: what happens to it is an explicit
 * choice, never a silent one, because keeping it releases it verbatim.
 */
import { ConfigError, TrustnluError } from '../../errors.js';
import { splitWords } from '../../text/tokenizer.js';
import type { WordMechanism } from './word-mechanism.js';

/** A text holds a word the embeddings lack and no out-of-vocabulary policy was chosen (the user's input: exit 2). */
export class OutOfVocabularyError extends TrustnluError {
  override readonly exitCode = 2;
}

/**
 * keep: the token goes out unchanged (it is not privatised: it leaks verbatim);
 * drop: the token is removed; error: refuse (the default) and name the first such word.
 */
export type OutOfVocabularyPolicy = 'keep' | 'drop' | 'error';
export const OUT_OF_VOCABULARY_POLICIES: readonly OutOfVocabularyPolicy[] = ['keep', 'drop', 'error'];

export interface RewriteOptions {
  outOfVocabulary?: OutOfVocabularyPolicy;
}

export interface RewriteResult {
  texts: string[];
  /** Tokens privatised by the mechanism. */
  privatized: number;
  /** Of those, how many came out as a different word. */
  changed: number;
  /** Out-of-vocabulary tokens kept verbatim or dropped, by policy. */
  outOfVocabularyKept: number;
  outOfVocabularyDropped: number;
  /** Up to 20 distinct out-of-vocabulary tokens, for the report. */
  outOfVocabularyExamples: string[];
}

/** Rewrites every text with one mechanism; all in-vocabulary tokens go through it in one batch. */
export function rewriteTexts(mechanism: WordMechanism, texts: readonly string[], options: RewriteOptions = {}): RewriteResult {
  const policy = options.outOfVocabulary ?? 'error';
  if (!OUT_OF_VOCABULARY_POLICIES.includes(policy)) throw new ConfigError(`outOfVocabulary must be one of ${OUT_OF_VOCABULARY_POLICIES.join(', ')}, got ${JSON.stringify(policy)}`);
  const space = mechanism.space;
  const tokenLists = texts.map((t, i) => {
    if (typeof t !== 'string') throw new ConfigError(`text ${i + 1} is ${t === null ? 'null' : typeof t}, not a string`);
    return splitWords(t);
  });
  const ids: number[] = [];
  const examples = new Set<string>();
  let oov = 0;
  tokenLists.forEach((tokens, t) => {
    for (const token of tokens) {
      const id = space.idOf(token);
      if (id !== undefined) {
        ids.push(id);
        continue;
      }
      if (policy === 'error') {
        throw new OutOfVocabularyError(
          `text ${t + 1} has ${JSON.stringify(token)}, which is not in the embedding vocabulary: choose what happens to such words ` +
            `with outOfVocabulary 'keep' (released unchanged, not private) or 'drop' (CLI: --oov keep|drop)`,
        );
      }
      oov++;
      if (examples.size < 20) examples.add(token);
    }
  });
  const privatized = mechanism.privatizeIds(Int32Array.from(ids));
  let position = 0;
  let changed = 0;
  const out = tokenLists.map((tokens) => {
    const words: string[] = [];
    for (const token of tokens) {
      const id = space.idOf(token);
      if (id === undefined) {
        if (policy === 'keep') words.push(token);
        continue;
      }
      const replacement = privatized[position++];
      if (replacement !== id) changed++;
      words.push(space.words[replacement]);
    }
    return words.join(' ');
  });
  return {
    texts: out,
    privatized: ids.length,
    changed,
    outOfVocabularyKept: policy === 'keep' ? oov : 0,
    outOfVocabularyDropped: policy === 'drop' ? oov : 0,
    outOfVocabularyExamples: [...examples],
  };
}
