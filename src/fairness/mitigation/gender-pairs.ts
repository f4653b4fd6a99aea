/**
 * Female/male word pairs for the gender-swap lexicon, from three sources, in priority order:
 * 1. a small built-in list written for trustnlu (always available, no data directory needed);
 * 2. debiaswe (Bolukbasi et al. 2016): definitional_pairs.json and equalize_pairs.json;
 * 3. GN-GloVe (Zhao et al. 2018): female_word_file.txt / male_word_file.txt, line-aligned.
 *
 * Cleaning (documented in docs/fairness-mitigation.md):
 * - lower-case everything; drop a trailing "." (GN-GloVe's "mrs." / "mr.": the tokeniser splits
 *   the period off);
 * - fix the GN-GloVe misspellings listed in SPELLING_FIXES ("godess" → "goddess", "adultor" →
 *   "adulterer", "barnoesses" → "baronesses", "mentleman" → "gentleman", "seamstress'" →
 *   "seamstress", "stailor" → "tailor", "heros" → "heroes", ...);
 * - drop multi-word entries (with "_": "ballet_dancer", "Catholic_priest"), which a word-level
 *   swap cannot match;
 * - drop pairs that are not counterparts of one person-referring word (NOT_COUNTERPARTS: anatomy,
 *   hormones and drugs, "dowry/brideprice", "toque/beard", "lesbian/gay", "doe/deer" (a deer is not
 *   male), debiaswe's "fella/granny");
 * - the possessive/object pronouns her/his/him/hers are not pairs at all: the swapper handles them
 *   by context (see swap-lexicon.ts).
 * Which pair wins when a word has several counterparts ("lady" → lord, gentleman, fella) is decided
 * when the lexicon is built: the first pair in priority order, so the swap is a bijection.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatasetFormatError } from '../../errors.js';

export interface GenderWordPair {
  female: string;
  male: string;
  source: 'builtin' | 'debiaswe' | 'gn-glove';
}

/** Handled by context in the swapper, never as fixed pairs. */
export const CONTEXTUAL_PRONOUNS = new Set(['her', 'his', 'him', 'hers']);

/** trustnlu's own core list: the words that matter most in biographies and everyday text. */
const BUILTIN_PAIRS: readonly [string, string][] = [
  ['she', 'he'], ['herself', 'himself'], ['woman', 'man'], ['women', 'men'], ['girl', 'boy'], ['girls', 'boys'],
  ['lady', 'gentleman'], ['ladies', 'gentlemen'], ['female', 'male'], ['females', 'males'], ['feminine', 'masculine'],
  ['mother', 'father'], ['mothers', 'fathers'], ['mom', 'dad'], ['moms', 'dads'], ['mum', 'dad'], ['mommy', 'daddy'],
  ['daughter', 'son'], ['daughters', 'sons'], ['sister', 'brother'], ['sisters', 'brothers'], ['wife', 'husband'],
  ['wives', 'husbands'], ['girlfriend', 'boyfriend'], ['girlfriends', 'boyfriends'], ['aunt', 'uncle'], ['aunts', 'uncles'],
  ['niece', 'nephew'], ['nieces', 'nephews'], ['grandmother', 'grandfather'], ['grandmothers', 'grandfathers'],
  ['granddaughter', 'grandson'], ['granddaughters', 'grandsons'], ['grandma', 'grandpa'], ['stepmother', 'stepfather'],
  ['stepdaughter', 'stepson'], ['bride', 'groom'], ['brides', 'grooms'], ['fiancee', 'fiance'], ['widow', 'widower'],
  ['widows', 'widowers'], ['queen', 'king'], ['queens', 'kings'], ['princess', 'prince'], ['princesses', 'princes'],
  ['duchess', 'duke'], ['empress', 'emperor'], ['actress', 'actor'], ['actresses', 'actors'], ['waitress', 'waiter'],
  ['waitresses', 'waiters'], ['hostess', 'host'], ['heroine', 'hero'], ['heroines', 'heroes'], ['mrs', 'mr'], ['ms', 'mr'],
  ['madam', 'sir'], ['spokeswoman', 'spokesman'], ['chairwoman', 'chairman'], ['businesswoman', 'businessman'],
  ['businesswomen', 'businessmen'], ['congresswoman', 'congressman'], ['sisterhood', 'brotherhood'],
  ['motherhood', 'fatherhood'], ['girlhood', 'boyhood'], ['maternal', 'paternal'], ['matriarch', 'patriarch'],
  ['nun', 'monk'], ['nuns', 'monks'], ['goddess', 'god'], ['sorority', 'fraternity'], ['gal', 'guy'], ['gals', 'guys'],
  ['heiress', 'heir'], ['landlady', 'landlord'], ['stewardess', 'steward'], ['schoolgirl', 'schoolboy'],
];

/** GN-GloVe misspellings and their corrections (lower-case, after stripping a trailing period). */
const SPELLING_FIXES: Readonly<Record<string, string>> = {
  godess: 'goddess',
  godesses: 'goddesses',
  adultress: 'adulteress',
  adultresses: 'adulteresses',
  adultor: 'adulterer',
  adultors: 'adulterers',
  barnoesses: 'baronesses',
  mentleman: 'gentleman',
  "seamstress'": 'seamstress',
  stailor: 'tailor',
  heros: 'heroes',
};

/** Pairs dropped because the two words are not counterparts of one person-referring word. */
const NOT_COUNTERPARTS = new Set([
  'clitoris/penis', 'vagina/penis', 'ovum/sperm', 'womb/prostatic_utricle', 'uterus/prostatic_utricle', 'skene_gland/prostate',
  'female_ejaculation/semen', 'estrogen/androgen', 'estradiol/testosterone', 'estrogen/testosterone', 'menopause/andropause',
  'obstetrics/andrology', 'viagra/cialis', 'dowry/brideprice', 'toque/beard', 'toques/beards', 'lesbian/gay', 'lesbians/gays',
  'granny/fella', 'effeminate/macho', 'feminism/masculism', 'convent/monastery', 'hair_salon/barbershop', 'minx/stud', 'minxes/studs',
  'mistress/paramour', 'ovarian_cancer/prostate_cancer', 'doe/deer',
]);

/** Lower-cased, period stripped, misspelling fixed; undefined for an entry a word swap cannot use. */
export function cleanGenderWord(raw: string): string | undefined {
  let word = raw.trim().toLowerCase();
  if (word.endsWith('.')) word = word.slice(0, -1);
  word = SPELLING_FIXES[word] ?? word;
  if (word === '' || word.includes('_') || /\s/.test(word)) return undefined;
  return word;
}

function cleanPair(female: string, male: string, source: GenderWordPair['source']): GenderWordPair | undefined {
  if (NOT_COUNTERPARTS.has(`${female.toLowerCase()}/${male.toLowerCase()}`)) return undefined;
  const f = cleanGenderWord(female);
  const m = cleanGenderWord(male);
  if (!f || !m || f === m) return undefined;
  if (NOT_COUNTERPARTS.has(`${f}/${m}`)) return undefined;
  if (CONTEXTUAL_PRONOUNS.has(f) || CONTEXTUAL_PRONOUNS.has(m)) return undefined;
  return { female: f, male: m, source };
}

export function builtinGenderPairs(): GenderWordPair[] {
  return BUILTIN_PAIRS.map(([f, m]) => cleanPair(f, m, 'builtin')!).filter(Boolean);
}

function readJsonPairs(path: string): [string, string][] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new DatasetFormatError(`${path}: not readable JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(parsed) || !parsed.every((p) => Array.isArray(p) && p.length === 2 && p.every((w) => typeof w === 'string'))) {
    throw new DatasetFormatError(`${path}: expected a JSON array of [word, word] pairs`);
  }
  return parsed as [string, string][];
}

/** Female words by form or by the built-in list: debiaswe's equalize pairs come in either order. */
const FEMALE_FORM = /(woman|women|girls?|ess|esses)$/;
const FEMALE_EXTRAS = new Set(['filly', 'mare', 'nun', 'nuns', 'sorority', 'granny', 'convent', 'estrogen', 'gal', 'gals', 'ovarian_cancer']);
let builtinFemale: Set<string> | undefined;
function looksFemale(word: string): boolean {
  builtinFemale ??= new Set(BUILTIN_PAIRS.map(([f]) => f));
  const w = word.toLowerCase();
  return builtinFemale.has(w) || FEMALE_EXTRAS.has(w) || FEMALE_FORM.test(w);
}

/** debiaswe pairs oriented female/male: definitional pairs are [female, male]; equalize pairs come in both orders. */
export function readDebiasWePairs(dir: string): GenderWordPair[] {
  const out: GenderWordPair[] = [];
  for (const file of ['definitional_pairs.json', 'equalize_pairs.json']) {
    const path = join(dir, file);
    if (!existsSync(path)) throw new DatasetFormatError(`${path} is missing (debiaswe lists): restore the data directory`);
    for (const [a, b] of readJsonPairs(path)) {
      const aFemale = looksFemale(a);
      const bFemale = looksFemale(b);
      // definitional pairs are female-first ("Mary"/"John" has no hint); equalize pairs are oriented by the hint.
      const [female, male] = file === 'definitional_pairs.json' || (aFemale && !bFemale) ? [a, b] : bFemale && !aFemale ? [b, a] : [a, b];
      const pair = cleanPair(female, male, 'debiaswe');
      if (pair) out.push(pair);
    }
  }
  return out;
}

/** GN-GloVe's two line-aligned files: line i of the female file is the counterpart of line i of the male file. */
export function readGnGlovePairs(dir: string): GenderWordPair[] {
  const paths = ['female_word_file.txt', 'male_word_file.txt'].map((f) => join(dir, f));
  for (const p of paths) if (!existsSync(p)) throw new DatasetFormatError(`${p} is missing (GN-GloVe word lists): restore the data directory`);
  const [female, male] = paths.map((p) => readFileSync(p, 'utf8').split(/\r?\n/).map((l) => l.trim()));
  while (female.length && female[female.length - 1] === '') female.pop();
  while (male.length && male[male.length - 1] === '') male.pop();
  if (female.length !== male.length) {
    throw new DatasetFormatError(`${paths[0]} has ${female.length} words but ${paths[1]} has ${male.length}: the files must be line-aligned`);
  }
  const out: GenderWordPair[] = [];
  for (let i = 0; i < female.length; i++) {
    const pair = cleanPair(female[i], male[i], 'gn-glove');
    if (pair) out.push(pair);
  }
  return out;
}

/** Built-in pairs, then debiaswe's and GN-GloVe's when the data directory has them. */
export function genderWordPairs(dataDir?: string): { pairs: GenderWordPair[]; sources: string[] } {
  const pairs = builtinGenderPairs();
  const sources = ['builtin'];
  if (dataDir) {
    if (existsSync(join(dataDir, 'debiaswe'))) {
      pairs.push(...readDebiasWePairs(join(dataDir, 'debiaswe')));
      sources.push('debiaswe');
    }
    if (existsSync(join(dataDir, 'gn-glove-wordlists'))) {
      pairs.push(...readGnGlovePairs(join(dataDir, 'gn-glove-wordlists')));
      sources.push('gn-glove');
    }
  }
  return { pairs, sources };
}
