/** Test fixture of the analytics tests: a population with known user counts. */
import { SeededRandom } from '../../../src/engine/random.js';
import type { UserItems } from '../../../src/federated/analytics/index.js';

/** Item i is held by counts[i] of `users` users (chosen by `seed`; users hold several items). */
export function population(counts: Record<string, number>, users: number, seed: number): UserItems[] {
  const rng = new SeededRandom(seed);
  const held: Set<string>[] = Array.from({ length: users }, () => new Set());
  for (const [item, count] of Object.entries(counts)) {
    for (const u of rng.permutation(users).slice(0, count)) held[u].add(item);
  }
  return held.map((items, i) => ({ user: `u${i}`, items: [...items] }));
}
