/**
 * Building WEAT queries from named word sets (WEFE's WEAT.json and the like), so a test is
 * stated by set names: weatQueryFromSets(sets, 'flowers', 'insects', 'pleasant_5', 'unpleasant_5a').
 */
import { ConfigError } from '../../errors.js';
import type { WeatQuery } from './weat.js';

export function weatQueryFromSets(
  wordSets: Record<string, string[]>,
  targetX: string,
  targetY: string,
  attributeA: string,
  attributeB: string,
): WeatQuery {
  const get = (name: string): [string, string[]] => {
    const words = wordSets[name];
    if (!Array.isArray(words)) {
      throw new ConfigError(`WEAT query: no word set named ${JSON.stringify(name)}; available: ${Object.keys(wordSets).join(', ')}`);
    }
    return [name, [...words]];
  };
  return { targets: [get(targetX), get(targetY)], attributes: [get(attributeA), get(attributeB)] };
}

/** "flowers vs insects wrt pleasant_5 vs unpleasant_5a", for tables and logs. */
export function describeWeatQuery(query: WeatQuery): string {
  return `${query.targets[0][0]} vs ${query.targets[1][0]} wrt ${query.attributes[0][0]} vs ${query.attributes[1][0]}`;
}
