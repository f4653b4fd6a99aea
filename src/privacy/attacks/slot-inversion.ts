/**
 * White-box relaxed-input extraction from a joint intent + slot-tagging model (Parikh et al.,
 * "Canary extraction in natural language understanding models", ACL 2022, against a tagger).
 * The attacker knows the weights, the canary's prefix tokens, its intent and its tags (O on
 * the prefix, B-/I- on the secret), but not the secret tokens.
 *
 * Each secret position gets free scores w_p over the candidate tokens; its input is the relaxed
 * token softmax(w_p / τ)·E (E the frozen embedding table). The summed cross-entropy of the known
 * intent and of every known tag is minimised over w with Adam while τ anneals geometrically,
 * then each position is decoded by argmax; of several random restarts the one whose decoded
 * (discrete) input has the lowest loss wins. All targets of one length run as one batch.
 */
import { tf, SeededRandom } from '../../engine/index.js';
import { ConfigError } from '../../errors.js';
import { INFERENCE, sparseCrossEntropy, type JointIntentSlotModel } from '../../models/index.js';
import { readAndDispose, type InversionOptions } from './inversion.js';

export interface SlotSecretTarget {
  /** Token ids before the secret. */
  prefix: number[];
  /** Secret positions. */
  unknown: number;
  /** Intent index the canary carries. */
  intent: number;
  /** Tag index of every position, prefix then secret (prefix.length + unknown). */
  tags: number[];
}

/** As for classifier inversion (steps, step size, temperatures, restarts, candidates, seed); defaults here: 200 steps, 2 restarts. */
export type SlotInversionOptions = InversionOptions;

/** The attack's objective per row [rows]: the known intent's cross-entropy plus the summed cross-entropy of every known tag. */
export function slotSecretLoss(scores: { intent: tf.Tensor2D; tags: tf.Tensor3D }, intents: tf.Tensor1D, tags: tf.Tensor2D): tf.Tensor1D {
  return tf.add(sparseCrossEntropy(scores.intent, intents), tf.sum(sparseCrossEntropy(scores.tags, tags), 1)) as tf.Tensor1D;
}

/** The decoded secret token ids of every target, in order. */
export function invertSlotSecrets(model: JointIntentSlotModel, targets: SlotSecretTarget[], options: SlotInversionOptions): number[][] {
  if (targets.length === 0) throw new ConfigError('no targets to invert');
  const steps = options.steps ?? 200;
  const R = options.restarts ?? 2;
  const lr = options.learningRate ?? 0.1;
  const tau = options.temperature ?? { start: 1, end: 0.05 };
  if (!(Number.isInteger(steps) && steps >= 1)) throw new ConfigError(`inversion steps must be an integer ≥ 1, got ${steps}`);
  if (!(Number.isInteger(R) && R >= 1)) throw new ConfigError(`restarts must be an integer ≥ 1, got ${R}`);
  if (!(tau.start > 0 && tau.end > 0)) throw new ConfigError(`temperatures must be > 0, got ${tau.start} → ${tau.end}`);
  const P = targets[0].prefix.length;
  const K = targets[0].unknown;
  if (!(Number.isInteger(K) && K >= 1)) throw new ConfigError(`the secret needs at least one unknown position, got ${K}`);
  for (const t of targets) {
    if (t.prefix.length !== P || t.unknown !== K) throw new ConfigError('every target of one batch needs the same prefix length and secret length: invert one length at a time');
    if (t.tags.length !== P + K) throw new ConfigError(`a target needs one tag per position (${P + K}), got ${t.tags.length}`);
    if (t.intent < 0 || t.intent >= model.labels.length) throw new ConfigError(`intent index ${t.intent} is outside the model's ${model.labels.length} intents`);
    if (t.tags.some((g) => !(Number.isInteger(g) && g >= 0 && g < model.slotLabels.length))) throw new ConfigError(`tag indices must be in [0, ${model.slotLabels.length})`);
  }
  if (P + K > model.maxLength) throw new ConfigError(`prefix + secret is ${P + K} tokens, longer than the model's maxLength ${model.maxLength}`);
  // an owned copy: the model's stored table, or (character input) the composed one it hands over
  const table = tf.tidy(() => tf.clone(model.embeddingTable()));
  const vocab = table.shape[0];
  const candidates = options.candidates ?? Array.from({ length: vocab }, (_, i) => i);
  if (candidates.length === 0 || candidates.some((c) => !(Number.isInteger(c) && c >= 0 && c < vocab))) throw new ConfigError(`candidate token ids must be integers in [0, ${vocab})`);
  const V = candidates.length;
  const N = targets.length;
  const rows = N * R; // row = target n, restart r at n·R + r
  const rng = new SeededRandom(options.seed).fork('slot-inversion');
  const rowOf = <T>(f: (t: SlotSecretTarget) => T[]) => targets.flatMap((t) => Array.from({ length: R }, () => f(t))).flat();

  const sub = tf.tidy(() => tf.gather(table, tf.tensor1d(candidates, 'int32')));
  const prefixEmbedded = P > 0 ? tf.tidy(() => tf.gather(table, tf.tensor2d(rowOf((t) => t.prefix), [rows, P], 'int32'))) : undefined;
  const intents = tf.tensor1d(rowOf((t) => [t.intent]), 'int32');
  const tags = tf.tensor2d(rowOf((t) => t.tags), [rows, P + K], 'int32');
  const mask = tf.ones([rows, P + K]) as tf.Tensor2D;
  const w = tf.tidy(() => tf.variable(tf.tensor3d(rng.uniformArray(rows * K * V, 0.01), [rows, K, V]), true, `slot-inversion-${rng.int(1 << 30)}`));
  const optimizer = tf.train.adam(lr);
  const lossOf = (secret: tf.Tensor3D) => {
    const embedded = (prefixEmbedded ? tf.concat([prefixEmbedded, secret], 1) : secret) as tf.Tensor3D;
    return slotSecretLoss(model.scoresFromEmbeddings(embedded, mask, INFERENCE), intents, tags);
  };
  try {
    for (let s = 0; s < steps; s++) {
      const t = steps === 1 ? tau.end : tau.start * Math.pow(tau.end / tau.start, s / (steps - 1));
      tf.tidy(() => {
        optimizer.minimize(() => {
          const probs = tf.softmax(tf.div(w, t));
          const relaxed = tf.reshape(tf.matMul(tf.reshape(probs, [rows * K, V]), sub), [rows, K, sub.shape[1]]) as tf.Tensor3D;
          return tf.sum(lossOf(relaxed)) as tf.Scalar;
        }, false, [w]);
      });
    }
    const decoded = readAndDispose(tf.tidy(() => tf.argMax(w, 2))) as Int32Array; // [rows·K] indices into candidates
    const discreteLoss = readAndDispose(tf.tidy(() => {
      const ids = tf.tensor2d(Int32Array.from(decoded, (j) => candidates[j]), [rows, K], 'int32');
      return lossOf(tf.gather(table, ids) as unknown as tf.Tensor3D);
    })) as Float32Array;
    return targets.map((_, n) => {
      let best = n * R;
      for (let r = 1; r < R; r++) if (discreteLoss[n * R + r] < discreteLoss[best]) best = n * R + r;
      return Array.from(decoded.subarray(best * K, (best + 1) * K), (j) => candidates[j]);
    });
  } finally {
    optimizer.dispose();
    tf.dispose([w, sub, intents, tags, mask, ...(prefixEmbedded ? [prefixEmbedded] : []), table]);
  }
}
