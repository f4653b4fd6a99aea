/**
 * What a device holds for heavy-hitter discovery: its distinct items (words, or whole
 * utterances), normalised the same way on every device so equal requests count together.
 * And the simulator's ground truth: how many users hold each item, the true top k, and the
 * recall and precision of a discovered list against it.
 *
 * Normalisation: Unicode NFKC, lower case, curly apostrophes made straight; a word is a run of
 * letters and digits with inner apostrophes ("what's"); an utterance is its words joined by one
 * space (punctuation dropped), so "What's the time?" and "what's the time" are one item.
 * Counts are user counts: a user who says "the" twenty times counts once, because the privacy
 * unit is the user and a heavy hitter should be something many people say.
 */
import { ConfigError } from '../../errors.js';

export type ItemUnit = 'word' | 'utterance';
export const ITEM_UNITS: readonly ItemUnit[] = ['word', 'utterance'];

/** One device: an id and the distinct items it holds. */
export interface UserItems {
  user: string;
  items: string[];
}

const WORD = /[\p{L}\p{N}]+(?:'[\p{L}\p{N}]+)*/gu;

/** The words of a text after normalisation. */
export function normalisedWords(text: string): string[] {
  return text.normalize('NFKC').toLowerCase().replace(/[\u2018\u2019\u02bc]/g, "'").match(WORD) ?? [];
}

/** The items of one text: its words, or the whole normalised utterance (none when it has no word). */
export function itemsOfText(text: string, unit: ItemUnit): string[] {
  const words = normalisedWords(text);
  if (unit === 'word') return words;
  return words.length > 0 ? [words.join(' ')] : [];
}

/** Groups texts by user into distinct items per user (users in order of first appearance). */
export function userItemsFromTexts(rows: readonly { user: string; text: string }[], unit: ItemUnit): UserItems[] {
  if (!ITEM_UNITS.includes(unit)) throw new ConfigError(`unit must be one of ${ITEM_UNITS.join(', ')}, got "${String(unit)}"`);
  const byUser = new Map<string, Set<string>>();
  for (const { user, text } of rows) {
    let set = byUser.get(user);
    if (!set) byUser.set(user, (set = new Set()));
    for (const item of itemsOfText(text, unit)) set.add(item);
  }
  return [...byUser].map(([user, items]) => ({ user, items: [...items] }));
}

/** How many users hold each item. */
export function userCounts(users: readonly UserItems[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { items } of users) for (const item of new Set(items)) counts.set(item, (counts.get(item) ?? 0) + 1);
  return counts;
}

export interface RankedItem {
  item: string;
  count: number;
}

/** Items by decreasing count, ties broken by the item's text (so the order is reproducible). */
export function rankItems(counts: ReadonlyMap<string, number>): RankedItem[] {
  return [...counts].map(([item, count]) => ({ item, count })).sort((a, b) => b.count - a.count || (a.item < b.item ? -1 : a.item > b.item ? 1 : 0));
}

export interface HeavyHitterQuality {
  /** The true top k (ties at the k-th count broken by text). */
  trueTopK: RankedItem[];
  /** Users holding the k-th item: the count an item needs to be in the top k. */
  kthCount: number;
  /** Share of the top k found (an item tied with the k-th counts as a hit), in [0, 1]. */
  recall: number;
  /** Share of the returned items that belong to the top k (tie-aware), in [0, 1]; 0 when nothing was returned. */
  precision: number;
}

/**
 * Recall and precision of `found` (at most k items) against the true user counts. Ties are
 * treated kindly and the same way for every method: an item whose true count equals the k-th
 * count is as good as the item the tie-break put at rank k. recall = |found ∩ T| / k capped at
 * 1, precision = |found ∩ T| / |found| (0 when nothing was found), T = {x : count(x) ≥ k-th count}.
 */
export function heavyHitterQuality(found: readonly string[], truth: ReadonlyMap<string, number>, k: number): HeavyHitterQuality {
  if (!Number.isInteger(k) || k < 1) throw new ConfigError(`k must be an integer ≥ 1, got ${k}`);
  const ranked = rankItems(truth);
  const trueTopK = ranked.slice(0, k);
  const kthCount = trueTopK.length > 0 ? trueTopK[trueTopK.length - 1].count : 0;
  const target = Math.min(k, ranked.length);
  const hits = new Set(found.filter((item) => (truth.get(item) ?? 0) >= kthCount && kthCount > 0)).size;
  return {
    trueTopK,
    kthCount,
    recall: target === 0 ? 1 : Math.min(1, hits / target),
    precision: found.length === 0 ? 0 : hits / new Set(found).size,
  };
}
