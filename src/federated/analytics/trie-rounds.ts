/**
 * One round of TrieHH as pieces that both the simulator (trie-heavy-hitters.ts) and the
 * networked service (server/analytics-rounds.ts, client/analytics-answers.ts) run, so the two
 * compute the same thing by construction:
 *   - the server's candidate set C_r from the surviving prefixes (a public order: prefix by
 *     prefix, each followed by the alphabet and END);
 *   - a device's votes: the distinct candidates its terminated items extend to, at most c;
 *   - the server's release: noisy counts at or above the threshold, largest first, capped.
 */
import { ConfigError } from '../../errors.js';

/** Marks the end of an item in the prefix tree; not a character any item contains. */
export const END_OF_ITEM = '\u0003';
/** Lower-case letters, digits, apostrophe and space: what the normalised items are made of. */
export const DEFAULT_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789' ";

/** The distinct characters of an alphabet, checked (non-empty, no end-of-item mark). */
export function trieAlphabet(alphabet: string = DEFAULT_ALPHABET): string[] {
  const symbols = [...new Set(alphabet)];
  if (symbols.length === 0 || symbols.includes(END_OF_ITEM)) throw new ConfigError('the alphabet must be non-empty and must not contain the end-of-item mark');
  return symbols;
}

/** The most candidates a round can have: at most `maxPrefixes` survivors, each extended by every symbol and END. */
export function maxTrieCandidates(alphabetSize: number, maxPrefixes: number): number {
  return maxPrefixes * (alphabetSize + 1);
}

/** C_r: every surviving prefix followed by every symbol and END, in that order. */
export function trieCandidates(prefixes: readonly string[], alphabet: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of prefixes) {
    for (const a of alphabet) out.push(p + a);
    out.push(p + END_OF_ITEM);
  }
  return out;
}

/**
 * A device's items as the tree sees them: terminated with END, restricted to what the public
 * alphabet can spell and to at most `maxLength` characters; `skipped` counts the others.
 */
export function terminatedItems(items: readonly string[], alphabet: readonly string[], maxLength: number): { items: string[]; skipped: number } {
  const symbols = new Set(alphabet);
  let skipped = 0;
  const kept: string[] = [];
  for (const item of items) {
    if (item.length > 0 && item.length <= maxLength && [...item].every((ch) => symbols.has(ch))) kept.push(item + END_OF_ITEM);
    else skipped++;
  }
  return { items: kept, skipped };
}

/**
 * Indices (into `candidates`) of the distinct candidates of length `round` that a device's
 * terminated items extend to, their first round − 1 characters being a surviving prefix.
 * The caller keeps at most c of them.
 */
export function trieVoteCandidates(items: readonly string[], round: number, live: ReadonlySet<string>, candidateIndex: ReadonlyMap<string, number>): number[] {
  const mine = new Set<number>();
  for (const s of items) {
    if (s.length < round || !live.has(s.slice(0, round - 1))) continue;
    const index = candidateIndex.get(s.slice(0, round));
    if (index !== undefined) mine.add(index);
  }
  return [...mine];
}

export interface TrieRelease {
  /** Survivors that do not end in END: the prefixes of the next round. */
  prefixes: string[];
  /** Survivors ending in END: discovered items with their noisy counts. */
  discovered: { item: string; estimate: number }[];
  survivors: number;
}

/** The candidates whose noisy count reaches the threshold, largest first (ties by text), at most `maxPrefixes`. */
export function trieRelease(candidates: readonly string[], sums: ArrayLike<number>, noise: ArrayLike<number>, threshold: number, maxPrefixes: number): TrieRelease {
  const survivors = candidates
    .map((name, i) => ({ name, estimate: sums[i] + noise[i] }))
    .filter((c) => c.estimate >= threshold)
    .sort((a, b) => b.estimate - a.estimate || (a.name < b.name ? -1 : 1))
    .slice(0, maxPrefixes);
  const prefixes: string[] = [];
  const discovered: { item: string; estimate: number }[] = [];
  for (const s of survivors) {
    if (s.name.endsWith(END_OF_ITEM)) discovered.push({ item: s.name.slice(0, -1), estimate: s.estimate });
    else prefixes.push(s.name);
  }
  return { prefixes, discovered, survivors: survivors.length };
}
