/**
 * Small tf.LayersModels covering every layer makePrivate has a rule for (and compositions),
 * with seeded weights, seeded inputs and targets, and the independent reference: tfjs's own
 * forward pass (model.apply) differentiated one example at a time with tf.variableGrads.
 */
import { tf } from '../../../src/engine/index.js';
import { seededValues } from '../../helpers.js';

export interface LayersCase {
  name: string;
  build(): tf.LayersModel;
  /** Inputs for B examples (one tensor per model input). */
  inputs(B: number): tf.Tensor[];
  /** Sparse targets for B examples ([B] or [B, T]). */
  targets(B: number): tf.Tensor;
}

const VOCAB = 13;
const T = 7;
const CLASSES = 3;

/** Replaces every weight with seeded values in ±scale (tfjs initialisers draw from Math.random). */
export function seedWeights(model: tf.LayersModel, seed: number, scale = 0.6): void {
  model.setWeights(model.getWeights().map((w, k) => tf.tensor(Array.from(seededValues(w.size, seed + 31 * k), (v) => 2 * scale * v), w.shape)));
}

const ids = (B: number, seed: number, length = T) =>
  tf.tensor2d(Array.from(seededValues(B * length, seed), (v) => Math.floor((v + 0.5) * VOCAB) % VOCAB), [B, length], 'int32');
const features = (B: number, shape: number[], seed: number) => tf.tensor(seededValues(B * shape.reduce((p, n) => p * n, 1), seed), [B, ...shape]);
const classes = (B: number, seed: number, shape: number[] = []) =>
  tf.tensor(Array.from(seededValues(B * shape.reduce((p, n) => p * n, 1), seed), (v) => Math.floor((v + 0.5) * CLASSES) % CLASSES), [B, ...shape], 'int32');

export const LAYERS_CASES: LayersCase[] = [
  {
    name: 'dense (2-D inputs)',
    build: () => tf.sequential({ layers: [tf.layers.dense({ units: 4, activation: 'relu', inputShape: [5] }), tf.layers.dense({ units: CLASSES, activation: 'softmax' })] }),
    inputs: (B) => [features(B, [5], 1)],
    targets: (B) => classes(B, 2),
  },
  {
    name: 'dense (3-D inputs), flatten',
    build: () => tf.sequential({ layers: [tf.layers.dense({ units: 4, activation: 'tanh', inputShape: [6, 5] }), tf.layers.flatten(), tf.layers.dense({ units: CLASSES, activation: 'softmax' })] }),
    inputs: (B) => [features(B, [6, 5], 3)],
    targets: (B) => classes(B, 4),
  },
  {
    name: 'embedding → conv1d (same) → global max pooling → dense',
    build: () => tf.sequential({
      layers: [
        tf.layers.embedding({ inputDim: VOCAB, outputDim: 5, inputLength: T }),
        tf.layers.conv1d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }),
        tf.layers.globalMaxPooling1d(),
        tf.layers.dense({ units: CLASSES, activation: 'softmax' }),
      ],
    }),
    inputs: (B) => [ids(B, 5)],
    targets: (B) => classes(B, 6),
  },
  {
    name: 'conv1d (same, stride 2; then valid) → max pooling → flatten → dense',
    build: () => tf.sequential({
      layers: [
        tf.layers.conv1d({ filters: 4, kernelSize: 2, strides: 2, padding: 'same', inputShape: [9, 3] }),
        tf.layers.conv1d({ filters: 3, kernelSize: 2, padding: 'valid', activation: 'relu' }),
        tf.layers.maxPooling1d({ poolSize: 2 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: CLASSES, activation: 'softmax' }),
      ],
    }),
    inputs: (B) => [features(B, [9, 3], 7)],
    targets: (B) => classes(B, 8),
  },
  {
    name: 'functional: embedding → lstm (sequences) → global average pooling → dense',
    build: () => {
      const input = tf.input({ shape: [T], dtype: 'int32' });
      const embedded = tf.layers.embedding({ inputDim: VOCAB, outputDim: 4 }).apply(input) as tf.SymbolicTensor;
      const states = tf.layers.lstm({ units: 5, returnSequences: true }).apply(embedded) as tf.SymbolicTensor;
      const pooled = tf.layers.globalAveragePooling1d().apply(states) as tf.SymbolicTensor;
      return tf.model({ inputs: input, outputs: tf.layers.dense({ units: CLASSES, activation: 'softmax' }).apply(pooled) as tf.SymbolicTensor });
    },
    inputs: (B) => [ids(B, 9)],
    targets: (B) => classes(B, 10),
  },
  {
    name: 'lstm (last state, backwards, sigmoid gates) → dense',
    build: () => tf.sequential({
      layers: [
        tf.layers.lstm({ units: 4, goBackwards: true, recurrentActivation: 'sigmoid', inputShape: [5, 3] }),
        tf.layers.dense({ units: CLASSES, activation: 'softmax' }),
      ],
    }),
    inputs: (B) => [features(B, [5, 3], 11)],
    targets: (B) => classes(B, 12),
  },
  {
    name: 'embedding → gru → dense',
    build: () => tf.sequential({
      layers: [tf.layers.embedding({ inputDim: VOCAB, outputDim: 4, inputLength: T }), tf.layers.gru({ units: 5 }), tf.layers.dense({ units: CLASSES, activation: 'softmax' })],
    }),
    inputs: (B) => [ids(B, 13)],
    targets: (B) => classes(B, 14),
  },
  {
    name: 'dense → layer normalization → activation → dropout → dense',
    build: () => tf.sequential({
      layers: [
        tf.layers.dense({ units: 6, inputShape: [5] }),
        tf.layers.layerNormalization({ epsilon: 1e-5 }),
        tf.layers.activation({ activation: 'relu' }),
        tf.layers.dropout({ rate: 0.3 }),
        tf.layers.dense({ units: CLASSES, activation: 'softmax' }),
      ],
    }),
    inputs: (B) => [features(B, [5], 15)],
    targets: (B) => classes(B, 16),
  },
  {
    name: 'functional: two inputs, add, concatenate, reshape, nested sequential',
    build: () => {
      const a = tf.input({ shape: [4] });
      const b = tf.input({ shape: [3] });
      const left = tf.layers.dense({ units: 6, activation: 'tanh' }).apply(a) as tf.SymbolicTensor;
      const right = tf.layers.dense({ units: 6 }).apply(b) as tf.SymbolicTensor;
      const sum = tf.layers.add().apply([left, right]) as tf.SymbolicTensor;
      const joined = tf.layers.concatenate().apply([sum, b]) as tf.SymbolicTensor;
      const grid = tf.layers.reshape({ targetShape: [3, 3] }).apply(joined) as tf.SymbolicTensor;
      const inner = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [3, 3] }), tf.layers.dense({ units: 5, activation: 'relu' })] });
      const out = tf.layers.dense({ units: CLASSES, activation: 'softmax' }).apply(inner.apply(grid) as tf.SymbolicTensor) as tf.SymbolicTensor;
      return tf.model({ inputs: [a, b], outputs: out });
    },
    inputs: (B) => [features(B, [4], 17), features(B, [3], 18)],
    targets: (B) => classes(B, 19),
  },
  {
    name: 'language model: embedding → lstm → dense over the vocabulary (3-D output)',
    build: () => tf.sequential({
      layers: [
        tf.layers.embedding({ inputDim: VOCAB, outputDim: 4, inputLength: T }),
        tf.layers.lstm({ units: 5, returnSequences: true }),
        tf.layers.dense({ units: VOCAB, activation: 'softmax' }),
      ],
    }),
    inputs: (B) => [ids(B, 20)],
    targets: (B) => tf.tensor2d(Array.from(seededValues(B * T, 21), (v) => Math.floor((v + 0.5) * VOCAB) % VOCAB), [B, T], 'int32'),
  },
];

/** A layer with weights and no rule (SimpleRNN): it takes the generic per-example loop. */
export const GENERIC_CASE: LayersCase = {
  name: 'simple rnn (no rule: generic per-example loop) → dense',
  build: () => tf.sequential({ layers: [tf.layers.simpleRNN({ units: 4, inputShape: [4, 3] }), tf.layers.dense({ units: CLASSES, activation: 'softmax' })] }),
  inputs: (B) => [features(B, [4, 3], 22)],
  targets: (B) => classes(B, 23),
};

/** Sparse cross-entropy of probability outputs, written out: −log p[target], averaged over positions. */
export function referenceLoss(targets: tf.Tensor, probabilities: tf.Tensor): tf.Scalar {
  const C = probabilities.shape[probabilities.rank - 1];
  const picked = tf.sum(tf.mul(probabilities, tf.oneHot(tf.reshape(targets, probabilities.shape.slice(0, -1)) as tf.Tensor, C)), -1);
  return tf.mean(tf.neg(tf.log(picked))) as tf.Scalar;
}

/**
 * Per-example gradients by tfjs itself: model.apply on one example at a time and
 * tf.variableGrads, keyed by variable name.
 */
export function referenceGradients(model: tf.LayersModel, inputs: tf.Tensor[], targets: tf.Tensor, training = false): Map<string, Float32Array>[] {
  const B = targets.shape[0];
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const out: Map<string, Float32Array>[] = [];
  for (let i = 0; i < B; i++) {
    tf.engine().startScope();
    const row = (t: tf.Tensor) => tf.slice(t, [i, ...t.shape.slice(1).map(() => 0)], [1, ...t.shape.slice(1)]);
    const xs = inputs.map(row);
    const { grads } = tf.variableGrads(() => referenceLoss(row(targets), model.apply(xs.length === 1 ? xs[0] : xs, { training }) as tf.Tensor), variables);
    out.push(new Map(Object.entries(grads).map(([name, g]) => [name, g.dataSync() as Float32Array])));
    tf.engine().endScope();
  }
  return out;
}
