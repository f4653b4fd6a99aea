/**
 * What a federated run costs and when it gets there: the client examples processed to reach
 * a target accuracy on the evaluated curve, and a validation part held by each client (the
 * federated validation estimate that hyperparameters are tuned on, so the evaluation split,
 * typically test, is never read while tuning).
 */
import { ConfigError } from '../../errors.js';
import type { SeededRandom } from '../../engine/random.js';
import type { PartitionClient } from '../../data/partition/index.js';
import type { FederatedExamples } from '../client/index.js';

/** An evaluated point of a run: the round, its accuracy and the client examples processed by then. */
export interface BudgetPoint {
  round: number;
  accuracy: number;
  examples: number;
}

/**
 * The first evaluated point whose accuracy is at least `target` (round 0, the initial model,
 * included), or null when the curve never gets there. Only evaluated rounds count: with an
 * evaluation every k rounds the answer is a multiple of k (an upper bound of the true round).
 */
export function reachTarget(curve: readonly BudgetPoint[], target: number): { round: number; examples: number } | null {
  if (!Number.isFinite(target)) throw new ConfigError(`target accuracy must be a finite number, got ${target}`);
  for (const point of curve) if (point.accuracy >= target) return { round: point.round, examples: point.examples };
  return null;
}

/** Rounds to reach `target` on the evaluated curve (null when never reached). */
export function roundsToTarget(curve: readonly BudgetPoint[], target: number): number | null {
  return reachTarget(curve, target)?.round ?? null;
}

/** Client examples processed by the round that first reaches `target` (null when never reached). */
export function examplesToTarget(curve: readonly BudgetPoint[], target: number): number | null {
  return reachTarget(curve, target)?.examples ?? null;
}

export interface ClientValidationSplit {
  /** The clients with only the examples they train on (same ids and order). */
  fit: PartitionClient[];
  /** Every client's held-out examples, ascending: evaluate the global model on them. */
  validation: Int32Array;
  /** Held-out examples per client id (0 for clients too small to hold any). */
  heldOut: Map<string, number>;
}

/**
 * Each client keeps ⌊fraction · n⌋ of its n examples (a seeded random choice per client) as its
 * own validation part and trains on the rest. Accuracy over the union of the parts is the
 * example-weighted mean of the clients' validation accuracies: the federated validation
 * estimate. A client with fewer than 1/fraction examples holds none back, so every client
 * still trains.
 */
export function holdOutClientValidation(clients: readonly PartitionClient[], fraction: number, rng: SeededRandom): ClientValidationSplit {
  if (!(fraction > 0 && fraction < 1)) throw new ConfigError(`client validation fraction must be in (0, 1), e.g. 0.1; got ${fraction}`);
  const fit: PartitionClient[] = [];
  const validation: number[] = [];
  const heldOut = new Map<string, number>();
  for (const client of clients) {
    const held = Math.min(Math.floor(fraction * client.indices.length), client.indices.length - 1);
    const chosen = new Set(rng.fork(`validation:${client.id}`).shuffle(Array.from(client.indices)).slice(0, Math.max(0, held)));
    fit.push({ id: client.id, indices: client.indices.filter((i) => !chosen.has(i)) });
    validation.push(...chosen);
    heldOut.set(client.id, chosen.size);
  }
  if (validation.length === 0) throw new ConfigError(`client validation: no client has ${Math.ceil(1 / fraction)} examples or more, so none holds a validation part at fraction ${fraction}; raise the fraction`);
  return { fit, validation: Int32Array.from(validation.sort((a, b) => a - b)), heldOut };
}

/**
 * The accuracy of always predicting the most frequent target among the evaluated examples at
 * `indices` (classifiers: per example, in-scope examples only when `outOfScopeIndex` is given,
 * as in-scope accuracy counts them; language models: per target token). The "chance" line a
 * run must clear before its accuracy says anything.
 */
export function majorityAccuracy(examples: FederatedExamples, indices: ArrayLike<number>, outOfScopeIndex?: number): number {
  const counts = new Map<number, number>();
  let total = 0;
  const count = (target: number) => {
    counts.set(target, (counts.get(target) ?? 0) + 1);
    total++;
  };
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    if (examples.task === 'classifier') {
      const target = examples.targets[i];
      if (outOfScopeIndex === undefined || target !== outOfScopeIndex) count(target);
    } else if (examples.task === 'lm') {
      for (let t = 0; t < examples.length; t++) count(examples.targets[i * examples.length + t]);
    } else {
      throw new ConfigError('majorityAccuracy: tensor examples carry no class targets to count');
    }
  }
  if (total === 0) return Number.NaN;
  return Math.max(...counts.values()) / total;
}
