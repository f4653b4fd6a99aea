/**
 * Model inversion of a classifier's training secret (ModIvA, Parikh et al., "Canary
 * extraction in natural language understanding models", ACL 2022). White-box: the attacker
 * knows the model's weights, the canary's prefix (e.g. "my pin code is") and the label its
 * utterances carry, but not the secret tokens after the prefix.
 *
 * Each unknown position gets a free vector of scores w_p over the vocabulary; the input at
 * that position is the relaxed token softmax(w_p / τ)·E (E the frozen embedding table), the
 * known positions are their own embedding rows. The model's cross-entropy for the known label
 * is minimised over w with Adam while τ is annealed geometrically (soft mixtures early,
 * nearly one-hot inputs late), then each position is decoded by argmax. Several random
 * restarts run as one batch; the restart whose decoded (discrete) input gives the lowest
 * loss wins.
 */
import { tf, SeededRandom } from '../../engine/index.js';
import { ConfigError } from '../../errors.js';
import { INFERENCE, hasEmbeddingInput, type ClassifierModel, type EmbeddingInputClassifier } from '../../models/index.js';

/** A classifier the attack can differentiate through its input representation. */
export type InvertibleClassifier = EmbeddingInputClassifier;

export function isInvertible(model: ClassifierModel): model is InvertibleClassifier {
  return hasEmbeddingInput(model);
}

export interface InversionTarget {
  /** Token ids before the secret. */
  prefix: number[];
  /** Number of unknown (secret) positions. */
  unknown: number;
  /** Token ids after the secret (usually none). */
  suffix?: number[];
  /** Class index the canary utterances carry. */
  label: number;
}

export interface InversionOptions {
  /** Optimisation steps (default 300). */
  steps?: number;
  /** Adam step size on the scores w (default 0.1). */
  learningRate?: number;
  /** τ from `start` to `end`, geometrically (default 1 → 0.05). */
  temperature?: { start: number; end: number };
  /** Random restarts, optimised together as one batch (default 4). */
  restarts?: number;
  /** Token ids a position may take (default: the whole vocabulary, as in the paper). */
  candidates?: number[];
  seed: number;
}

export interface InversionResult {
  /** Decoded secret token ids, one per unknown position. */
  tokens: number[];
  /**
   * Per unknown position, log-softmax of the winning restart's final scores over
   * `candidates` ([unknown × candidates.length], row-major): the attack's belief, used to rank
   * every possible secret.
   */
  logBeliefs: Float32Array;
  candidates: number[];
  /** Cross-entropy of the decoded (discrete) input for the label. */
  loss: number;
}

/** A tensor's values, then the tensor freed. (Returning the typed array from tf.tidy instead makes tidy walk it element by element.) */
export function readAndDispose(t: tf.Tensor): ReturnType<tf.Tensor['dataSync']> {
  const values = t.dataSync();
  t.dispose();
  return values;
}

export function invertSecret(model: ClassifierModel, target: InversionTarget, options: InversionOptions): InversionResult {
  if (!isInvertible(model)) throw new ConfigError(`model "${model.kind}" exposes no embedding table and logitsFromEmbeddings: extraction needs a trustnlu classifier (embbag, cnn, transformer) or a tf.LayersModel whose ids enter through an Embedding layer`);
  const steps = options.steps ?? 300;
  const restarts = options.restarts ?? 4;
  const lr = options.learningRate ?? 0.1;
  const tau = options.temperature ?? { start: 1, end: 0.05 };
  if (!(Number.isInteger(target.unknown) && target.unknown >= 1)) throw new ConfigError(`the secret needs at least one unknown position, got ${target.unknown}`);
  if (!(Number.isInteger(steps) && steps >= 1)) throw new ConfigError(`inversion steps must be an integer ≥ 1, got ${steps}`);
  if (!(Number.isInteger(restarts) && restarts >= 1)) throw new ConfigError(`restarts must be an integer ≥ 1, got ${restarts}`);
  if (!(tau.start > 0 && tau.end > 0)) throw new ConfigError(`temperatures must be > 0, got ${tau.start} → ${tau.end}`);
  if (target.label < 0 || target.label >= model.labels.length) throw new ConfigError(`label index ${target.label} is outside the model's ${model.labels.length} classes`);
  const table = model.embeddingTable(); // a wrapped model without an Embedding where the ids enter is refused here
  const vocab = table.shape[0];
  const candidates = options.candidates ?? Array.from({ length: vocab }, (_, i) => i);
  if (candidates.length === 0 || candidates.some((c) => !(Number.isInteger(c) && c >= 0 && c < vocab))) {
    throw new ConfigError(`candidate token ids must be integers in [0, ${vocab})`);
  }
  const suffix = target.suffix ?? [];
  const K = target.unknown;
  const V = candidates.length;
  const length = target.prefix.length + K + suffix.length;
  if (length > model.maxLength) throw new ConfigError(`prefix + secret + suffix is ${length} tokens, longer than the model's maxLength ${model.maxLength}`);
  const rng = new SeededRandom(options.seed).fork('inversion');

  const sub = tf.tidy(() => tf.gather(table, tf.tensor1d(candidates, 'int32')));
  const knownPrefix = tf.tidy(() => tf.tile(tf.expandDims(tf.gather(table, tf.tensor1d(target.prefix.length ? target.prefix : [0], 'int32')), 0), [restarts, 1, 1]));
  const knownSuffix = tf.tidy(() => tf.tile(tf.expandDims(tf.gather(table, tf.tensor1d(suffix.length ? suffix : [0], 'int32')), 0), [restarts, 1, 1]));
  // tidy frees the initial value; the variable itself survives tidy
  const w = tf.tidy(() => tf.variable(tf.tensor3d(rng.uniformArray(restarts * K * V, 0.01), [restarts, K, V]), true, `inversion-scores-${rng.int(1 << 30)}`));
  const labels = tf.fill([restarts], target.label, 'int32');
  const mask = tf.ones([restarts, length]) as tf.Tensor2D;
  const optimizer = tf.train.adam(lr);
  const embed = (relaxed: tf.Tensor3D) => {
    const parts: tf.Tensor3D[] = [];
    if (target.prefix.length) parts.push(knownPrefix as tf.Tensor3D);
    parts.push(relaxed);
    if (suffix.length) parts.push(knownSuffix as tf.Tensor3D);
    return (parts.length === 1 ? parts[0] : tf.concat(parts, 1)) as tf.Tensor3D;
  };
  const lossOf = (embedded: tf.Tensor3D) => {
    const logits = model.logitsFromEmbeddings(embedded, mask, INFERENCE);
    return tf.sub(tf.logSumExp(logits, -1), tf.sum(tf.mul(logits, tf.oneHot(labels, model.labels.length)), -1));
  };
  try {
    for (let s = 0; s < steps; s++) {
      const t = steps === 1 ? tau.end : tau.start * Math.pow(tau.end / tau.start, s / (steps - 1));
      tf.tidy(() => {
        optimizer.minimize(() => {
          const probs = tf.softmax(tf.div(w, t)) as tf.Tensor3D; // [R, K, V]
          const relaxed = tf.reshape(tf.matMul(tf.reshape(probs, [restarts * K, V]), sub), [restarts, K, sub.shape[1]]) as tf.Tensor3D;
          return tf.sum(lossOf(embed(relaxed))) as tf.Scalar;
        }, false, [w]);
      });
    }
    // decode each restart and keep the one whose discrete input fits the label best
    const decoded = readAndDispose(tf.tidy(() => tf.argMax(w, 2))) as Int32Array; // [R·K] indices into candidates
    const discreteLoss = readAndDispose(tf.tidy(() => {
      const ids = tf.tensor2d(Int32Array.from(decoded, (j) => candidates[j]), [restarts, K], 'int32');
      return lossOf(embed(tf.gather(table, ids) as unknown as tf.Tensor3D));
    })) as Float32Array;
    let best = 0;
    for (let r = 1; r < restarts; r++) if (discreteLoss[r] < discreteLoss[best]) best = r;
    const tokens = Array.from(decoded.subarray(best * K, (best + 1) * K), (j) => candidates[j]);
    const logBeliefs = readAndDispose(tf.tidy(() => tf.logSoftmax(tf.slice(w, [best, 0, 0], [1, K, V]).reshape([K, V])))) as Float32Array;
    return { tokens, logBeliefs: Float32Array.from(logBeliefs), candidates, loss: discreteLoss[best] };
  } finally {
    optimizer.dispose();
    tf.dispose([w, sub, knownPrefix, knownSuffix, labels, mask]);
  }
}

/**
 * Rank of the true secret (1 = the attack's top guess) among every secret in `space`, by the
 * attack's summed log-belief; ties count half. Each secret is its token ids at the unknown
 * positions; a token outside the attack's candidates scores −∞.
 */
export function secretRank(result: InversionResult, truth: number[], space: Iterable<number[]>): { rank: number; size: number } {
  const V = result.candidates.length;
  const column = new Map(result.candidates.map((c, j) => [c, j]));
  const score = (tokens: number[]) => {
    let s = 0;
    for (let p = 0; p < tokens.length; p++) {
      const j = column.get(tokens[p]);
      if (j === undefined) return -Infinity;
      s += result.logBeliefs[p * V + j];
    }
    return s;
  };
  const own = score(truth);
  let better = 0;
  let ties = 0;
  let size = 0;
  const key = truth.join(',');
  for (const tokens of space) {
    size++;
    if (tokens.join(',') === key) continue;
    const s = score(tokens);
    if (s > own) better++;
    else if (s === own) ties++;
  }
  return { rank: 1 + better + ties / 2, size };
}
