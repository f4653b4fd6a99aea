/**
 * The gender-swap lexicon: a bijection between female and male words (and first names), so that
 * swapping twice gives the text back, plus the rule for the pronouns whose counterpart depends on
 * context.
 *
 * Ambiguous pronouns. English "her" is the female form of both "his" (possessive determiner: "her
 * film") and "him" (object: "cast her as"); "his" is the male form of both "her" ("his film") and
 * "hers" ("the idea was his"). The heuristic looks at the next token:
 * - if it can start a noun phrase (a word that is not in the small closed-class lexicon
 *   CLOSED_CLASS below of prepositions, conjunctions, determiners, pronouns, auxiliaries and
 *   common adverbs), the pronoun is a possessive determiner: her → his, his → her;
 * - otherwise (a closed-class word, punctuation, end of text), it is an object or independent
 *   possessive: her → him, his → hers.
 * him → her and hers → his always. Known failures: "gave her flowers" (→ "his flowers"), "his"
 * before an adjective used predicatively; they are rare in our test sets (see the tests).
 */
import { ConfigError } from '../../errors.js';
import { resolveDataDir } from '../../data/locate.js';
import { CONTEXTUAL_PRONOUNS, genderWordPairs, type GenderWordPair } from './gender-pairs.js';
import { mobyFirstNamePairs, type FirstNamePair } from './first-name-pairs.js';

export type Gender = 'female' | 'male';

/** Words after which "her"/"his" is an object or independent possessive, not a determiner. */
export const CLOSED_CLASS = new Set(
  (
    'about above across after against along among around as at before behind below beneath beside besides between beyond by ' +
    'despite down during except for from in inside into like near of off on onto out outside over past since than through ' +
    'throughout till to toward towards under underneath until up upon via with within without ' +
    'and but or nor so yet because although though while whereas if unless whether when whenever where wherever once ' +
    'a an the this that these those each every some any no all both either neither another such what which who whom whose ' +
    'it its i you he she they we me us them my your our their her his him hers himself herself itself themselves myself yourself ' +
    'is are was were be been being am has have had do does did will would shall should can could may might must get got gets ' +
    'become became not never also again too very just only even ever still already soon then now here there back away home ' +
    'alone together directly immediately later often well'
  ).split(/\s+/),
);

export interface SwapLexiconStats {
  wordPairs: number;
  namePairs: number;
  /** Pairs left out because one of their words already had a counterpart (first pair wins). */
  conflicts: number;
  sources: string[];
}

export class SwapLexicon {
  /** lower-case word → counterpart (both directions), names excluded. */
  private readonly words = new Map<string, string>();
  /** lower-case first name → counterpart (both directions). */
  private readonly names = new Map<string, string>();
  private readonly genders = new Map<string, Gender>();
  readonly stats: SwapLexiconStats;

  constructor(pairs: readonly { female: string; male: string }[], namePairs: readonly { female: string; male: string }[] = [], sources: string[] = []) {
    let conflicts = 0;
    const add = (table: Map<string, string>, f: string, m: string) => {
      if (f === m || this.words.has(f) || this.words.has(m) || this.names.has(f) || this.names.has(m) || CONTEXTUAL_PRONOUNS.has(f) || CONTEXTUAL_PRONOUNS.has(m)) {
        conflicts++;
        return false;
      }
      table.set(f, m);
      table.set(m, f);
      this.genders.set(f, 'female');
      this.genders.set(m, 'male');
      return true;
    };
    let wordPairs = 0;
    for (const p of pairs) if (add(this.words, p.female, p.male)) wordPairs++;
    let names = 0;
    for (const p of namePairs) if (add(this.names, p.female, p.male)) names++;
    for (const w of ['her', 'hers']) this.genders.set(w, 'female');
    for (const w of ['his', 'him']) this.genders.set(w, 'male');
    this.stats = { wordPairs, namePairs: names, conflicts, sources };
  }

  /** Counterpart of a lower-case word that is not a context-dependent pronoun (words, then names). */
  counterpart(word: string, options: { names?: boolean } = {}): string | undefined {
    return this.words.get(word) ?? (options.names === false ? undefined : this.names.get(word));
  }

  isName(word: string): boolean {
    return this.names.has(word);
  }

  /** Gender of a lower-case word: lexicon words, the four pronouns, and (optionally) first names. */
  genderOf(word: string, options: { names?: boolean } = {}): Gender | undefined {
    if (options.names === false && this.names.has(word)) return undefined;
    return this.genders.get(word);
  }

  /** Every gendered word of one side (words and pronouns; names when asked). */
  wordsOf(gender: Gender, options: { names?: boolean } = {}): string[] {
    return [...this.genders.entries()].filter(([w, g]) => g === gender && (options.names !== false || !this.names.has(w))).map(([w]) => w);
  }

  /** Every fixed pair (female, male), names included, for building vocabulary maps. */
  pairs(): { female: string; male: string; name: boolean }[] {
    const out: { female: string; male: string; name: boolean }[] = [];
    for (const [table, name] of [[this.words, false], [this.names, true]] as const) {
      for (const [a, b] of table) if (this.genders.get(a) === 'female') out.push({ female: a, male: b, name });
    }
    return out;
  }
}

/**
 * Counterpart of her/his/him/hers given the next token (lower-case word, or undefined at the
 * end of text or before punctuation); undefined for any other word.
 */
export function pronounCounterpart(word: string, next: string | undefined): string | undefined {
  const determiner = next !== undefined && /^[\p{L}\p{N}]/u.test(next) && !CLOSED_CLASS.has(next);
  switch (word) {
    case 'her':
      return determiner ? 'his' : 'him';
    case 'his':
      return determiner ? 'her' : 'hers';
    case 'him':
      return 'her';
    case 'hers':
      return 'his';
    default:
      return undefined;
  }
}

export interface LexiconOptions {
  /** Data directory with debiaswe/ and gn-glove-wordlists/ (default: resolved as usual; none → built-in pairs only). */
  dataDir?: string;
  /** Include the Moby first-name pairs (default true). */
  names?: boolean;
}

const lexicons = new Map<string, SwapLexicon>();

/** The lexicon from the built-in pairs, the data directory's lists and the first names (cached). */
export function genderSwapLexicon(options: LexiconOptions = {}): SwapLexicon {
  const dataDir = options.dataDir ?? resolveDataDir();
  const key = `${dataDir ?? ''}|${options.names !== false}`;
  let lexicon = lexicons.get(key);
  if (!lexicon) {
    const { pairs, sources } = genderWordPairs(dataDir);
    const names: FirstNamePair[] = options.names === false ? [] : mobyFirstNamePairs();
    lexicon = new SwapLexicon(pairs, names, options.names === false ? sources : [...sources, 'moby-names']);
    if (lexicon.stats.wordPairs === 0) throw new ConfigError('the gender-swap lexicon has no word pairs');
    lexicons.set(key, lexicon);
  }
  return lexicon;
}

export type { GenderWordPair, FirstNamePair };
