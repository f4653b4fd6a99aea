/**
 * Gender swap of free text and of token sequences.
 *
 * Text: only the words change; spacing and punctuation are kept byte for byte. A word keeps its
 * case pattern (mother → father, Mother → Father, MOM → DAD) and its clitic: the part from the
 * apostrophe on, for the clitics 's 'll 'd 're 've ("mother's" → "father's", "she'll" → "he'll");
 * "ma'am" is looked up whole. First names are swapped only when capitalised ("rose" the flower is
 * never touched; "Mark", "Rose" are excluded from the names as everyday words), and not when they
 * directly follow another capitalised first name: that position is a surname ("Roberta Smith"
 * keeps "Smith", which the Moby male list also contains) or a title ("Mrs. Doe").
 *
 * Tokens: the same rules on a language model's lower-case pieces (no case information, so first
 * names are swapped whatever their case).
 */
import { genderSwapLexicon, pronounCounterpart, type SwapLexicon } from './swap-lexicon.js';

export interface Replacement {
  /** Character offset of the original word in the input. */
  index: number;
  from: string;
  to: string;
}

export interface SwapResult {
  text: string;
  swapped: boolean;
  replacements: Replacement[];
}

const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}\p{N}]+)*/gu;
const CLITIC = /['’](?:s|ll|d|re|ve)$/;
/** After these a capitalised name is a surname ("Mrs. Doe"). */
const TITLES = new Set(['mr', 'mrs', 'ms', 'miss', 'dr', 'sir', 'madam', 'lady', 'lord', 'dame', 'prof']);

/** `target` written in the case pattern of `source`. */
export function matchCase(source: string, target: string): string {
  const letters = source.replace(/[^\p{L}]/gu, '');
  if (letters.length > 1 && letters === letters.toUpperCase() && letters !== letters.toLowerCase()) return target.toUpperCase();
  const first = source.charAt(0);
  if (first !== first.toLowerCase()) return target.charAt(0).toUpperCase() + target.slice(1);
  return target;
}

function isCapitalised(word: string): boolean {
  const first = word.charAt(0);
  return first !== first.toLowerCase();
}

/**
 * Counterpart of one lower-case word (with any clitic) given the next token, or undefined.
 * `allowNames`: whether a first name may be swapped here.
 */
function counterpartOf(lexicon: SwapLexicon, lower: string, next: string | undefined, allowNames: boolean): string | undefined {
  const pronoun = pronounCounterpart(lower, next);
  if (pronoun) return pronoun;
  const whole = lexicon.counterpart(lower, { names: allowNames });
  if (whole) return whole;
  const clitic = CLITIC.exec(lower)?.[0];
  if (clitic) {
    const stem = lower.slice(0, lower.length - clitic.length);
    const swapped = pronounCounterpart(stem, clitic) ?? lexicon.counterpart(stem, { names: allowNames });
    if (swapped) return swapped + clitic;
  }
  return undefined;
}

export interface SwapOptions {
  /**
   * When a first name is swapped: only when capitalised (default: "Rose" the name, not "rose" the
   * flower), in any case (lower-cased text such as the synthetic intent set), or never.
   */
  names?: 'capitalised' | 'any' | 'none';
}

/** The counterfactual text: every gendered word replaced by its counterpart, all else kept. */
export function swapGender(text: string, lexicon: SwapLexicon = genderSwapLexicon(), options: SwapOptions = {}): SwapResult {
  const names = options.names ?? 'capitalised';
  const matches = [...text.matchAll(WORD)];
  const replacements: Replacement[] = [];
  let out = '';
  let last = 0;
  let previousWasName = false;
  let previousTitle = false;
  for (let i = 0; i < matches.length; i++) {
    const m = matches[i];
    const word = m[0];
    const index = m.index!;
    // The next token: the next word if only spaces separate them, else the punctuation mark.
    const end = index + word.length;
    const between = i + 1 < matches.length ? text.slice(end, matches[i + 1].index) : text.slice(end);
    const next = between.trim() !== '' || i + 1 >= matches.length ? undefined : matches[i + 1][0].toLowerCase();
    const lower = word.toLowerCase();
    const capitalised = isCapitalised(word);
    const gap = text.slice(last, index);
    const afterName = (previousWasName && gap.trim() === '') || (previousTitle && /^\.?\s+$/.test(gap));
    const swapped = counterpartOf(lexicon, lower, next, !afterName && (names === 'any' || (names === 'capitalised' && capitalised)));
    previousWasName = capitalised && lexicon.isName(lower.replace(CLITIC, ''));
    previousTitle = TITLES.has(lower);
    out += text.slice(last, index);
    if (swapped !== undefined) {
      const to = matchCase(word, swapped);
      out += to;
      replacements.push({ index, from: word, to });
    } else {
      out += word;
    }
    last = end;
  }
  out += text.slice(last);
  return { text: out, swapped: replacements.length > 0, replacements };
}

/** The counterfactual of a lower-case token sequence (a word tokenizer's pieces); `after` is the token following the sequence, if known. */
export function swapTokens(tokens: readonly string[], lexicon: SwapLexicon = genderSwapLexicon(), after?: string): string[] {
  return tokens.map((token, i) => {
    const next = i + 1 < tokens.length ? tokens[i + 1] : after;
    return counterpartOf(lexicon, token, next, true) ?? token;
  });
}
