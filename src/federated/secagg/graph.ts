/**
 * The communication graph of SecAgg+ (Bell, Bonawitz, Gascón, Lepoint & Raykova, CCS 2020,
 * "Secure single-server aggregation with (poly)logarithmic overhead"): each client shares
 * keys and pairwise masks only with its k neighbours instead of all n − 1, which brings the
 * per-client cost from O(n) to O(k) and the server's from O(n²) to O(n·k). Bell et al. show
 * that a random k-regular graph with k = O(log n) keeps the guarantees of the complete
 * graph (Bonawitz et al. 2017) with high probability.
 *
 * We use their construction: a Harary graph H(n, k) (a ring where each node is joined to the
 * k/2 nearest nodes on either side) laid over a uniformly random permutation of the
 * clients. k = n − 1 gives the complete graph, i.e. the original protocol.
 */
import { ConfigError } from '../../errors.js';

/** Neighbour lists (sorted indices, self excluded) of H(n, k) laid over `permutation`. */
export function hararyGraphNeighbours(n: number, k: number, permutation: readonly number[]): number[][] {
  checkDegree(n, k);
  if (permutation.length !== n || new Set(permutation).size !== n || permutation.some((p) => !Number.isInteger(p) || p < 0 || p >= n)) {
    throw new ConfigError(`communication graph: the permutation must hold each index 0..${n - 1} exactly once`);
  }
  const neighbours: number[][] = Array.from({ length: n }, () => []);
  if (k === n - 1) {
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) neighbours[i].push(j);
    return neighbours;
  }
  const half = k / 2;
  for (let position = 0; position < n; position++) {
    const node = permutation[position];
    for (let d = 1; d <= half; d++) {
      neighbours[node].push(permutation[(position + d) % n], permutation[(position - d + n) % n]);
    }
  }
  for (const list of neighbours) list.sort((a, b) => a - b);
  return neighbours;
}

export function checkDegree(n: number, k: number): void {
  if (!Number.isInteger(n) || n < 2) throw new ConfigError(`secure aggregation needs at least 2 clients, got ${n}`);
  if (!Number.isInteger(k) || k < 1 || k > n - 1) throw new ConfigError(`neighbours k must be an integer in [1, ${n - 1}] for ${n} clients, got ${k}`);
  if (k !== n - 1 && k % 2 !== 0) {
    throw new ConfigError(`neighbours k = ${k}: below n − 1 = ${n - 1} the Harary graph needs an even k; use ${k + 1 <= n - 1 ? k + 1 : k - 1}`);
  }
}

/**
 * Default degree: the complete graph up to 32 clients, then the smallest even k ≥ 3·log₂ n
 * (20 neighbours at n = 100, 30 at 1,000, 40 at 10,000). This is a conservative reading of Bell et
 * al.'s k = O(log n) (their bounds depend on the dropout and corruption rates); raise k if
 * more dropouts or colluders must be tolerated.
 */
export function defaultNeighbours(n: number): number {
  if (n <= 32) return n - 1;
  const k = Math.ceil(3 * Math.log2(n));
  return Math.min(n - 1, k % 2 === 0 ? k : k + 1);
}

/** Default threshold t: a strict majority of a client's k neighbours. */
export function defaultThreshold(k: number): number {
  return Math.floor(k / 2) + 1;
}
