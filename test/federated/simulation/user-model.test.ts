/**
 * runSimulation with a user's tf.LayersModel and a Flower-style clientFn (issue 17, part 5):
 * FedAvg learns a tiny synthetic task (float features, 3 classes, non-IID clients) and gives
 * the same run in this thread and on a worker; the final global weights land in the model
 * model() built; DP-FedAvg reports its ε and secure aggregation sums the same updates; bad
 * client data is refused with one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, initEngine } from '../../../src/engine/index.js';
import { SeededRandom } from '../../../src/engine/random.js';
import { ConfigError, ShapeMismatchError } from '../../../src/errors.js';
import { flattenParameters } from '../../../src/federated/aggregate/index.js';
import { fedAvg } from '../../../src/federated/strategies/index.js';
import { privateAggregation } from '../../../src/federated/privacy/index.js';
import { runSimulation } from '../../../src/federated/simulation/index.js';

const CLASSES = 3;
const FEATURES = 4;
/** Class c's examples sit around centre c. */
const CENTRES = [[2, 0, 0, 1], [0, 2, 0, -1], [0, 0, 2, 0]];

/** n examples, mostly of class `major` (non-IID clients; none: balanced), features = centre + N(0, 0.7²). */
function clientData(seed: number, n: number, major?: number): { xs: tf.Tensor2D; ys: tf.Tensor1D } {
  const rng = new SeededRandom(seed);
  const xs: number[][] = [];
  const ys: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = major !== undefined && rng.next() < 0.7 ? major : Math.floor(rng.next() * CLASSES);
    xs.push(CENTRES[c].map((m) => m + 0.7 * rng.normal()));
    ys.push(c);
  }
  return { xs: tf.tensor2d(xs, [n, FEATURES]), ys: tf.tensor1d(ys, 'int32') };
}

const model = () =>
  tf.sequential({
    layers: [
      tf.layers.dense({ units: 8, activation: 'relu', inputShape: [FEATURES], kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
      tf.layers.dense({ units: CLASSES, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
    ],
  });

const data = new Map<string, { xs: tf.Tensor2D; ys: tf.Tensor1D }>();
const clientFn = (cid: string) => {
  if (!data.has(cid)) data.set(cid, clientData(100 + Number(cid), 40, Number(cid) % CLASSES));
  return data.get(cid)!;
};
const evaluationData = clientData(7, 300);
const strategy = () => fedAvg({ clientsPerRound: 4, local: { optimizer: 'sgd', learningRate: 0.2, batchSize: 10 } });

test('FedAvg on a user tf.LayersModel with clientFn: accuracy improves, this thread = a worker, the trained weights land in the model', async () => {
  await initEngine({ backend: 'wasm' });
  const options = { model, clientFn, clients: 8, evaluationData, rounds: 6, seed: 3 };
  const local = await runSimulation({ ...options, strategy: strategy(), workers: 0 });
  assert.equal(local.clients, 8);
  assert.ok(local.curve[0].accuracy < 0.6, `the initial model is poor (${local.curve[0].accuracy})`);
  assert.ok(local.accuracy >= 0.85, `accuracy ${local.curve[0].accuracy} → ${local.accuracy}`);
  assert.ok(local.loss < local.curve[0].loss);
  // The returned model holds the final global weights: its accuracy on the evaluation data, by hand.
  const trained = local.layersModel!;
  const predicted = tf.tidy(() => (tf.argMax(trained.predict(evaluationData.xs) as tf.Tensor, 1).dataSync() as Int32Array).slice());
  const truth = evaluationData.ys.dataSync();
  const byHand = predicted.reduce((n, p, i) => n + (p === truth[i] ? 1 : 0), 0) / truth.length;
  assert.ok(Math.abs(byHand - local.accuracy) < 1e-9, `model.predict accuracy ${byHand} vs the simulator's ${local.accuracy}`);
  assert.deepEqual(Array.from(flattenParameters(local.parameters)), trained.trainableWeights.flatMap((w) => Array.from(w.read().dataSync())));

  const worker = await runSimulation({ ...options, strategy: strategy(), workers: 1 });
  assert.deepEqual(worker.curve, local.curve, 'the worker rebuilds the same model and trains it the same way');
  trained.dispose();
  worker.layersModel!.dispose();
});

test('DP-FedAvg and secure aggregation work unchanged on a user model: ε reported, the masked sum gives the plain run', async () => {
  await initEngine({ backend: 'wasm' });
  const options = { model, clientFn, clients: 8, evaluationData, rounds: 3, seed: 3, workers: 0 };
  const dp = privateAggregation(strategy(), { dp: { clip: 1, noiseMultiplier: 0.8, delta: 1e-3, population: 8, rounds: 3 } });
  const priv = await runSimulation({ ...options, strategy: dp });
  const report = dp.privacyReport().dp!;
  assert.equal(report.rounds, 3);
  assert.ok(report.epsilon !== null && report.epsilon > 0 && Number.isFinite(report.epsilon), `ε ${report.epsilon}`);
  assert.ok(priv.history.every((h) => h.privacy?.dpClip === 1), 'every round reports the clip norm');

  const plain = await runSimulation({ ...options, strategy: strategy() });
  const secure = await runSimulation({ ...options, strategy: privateAggregation(strategy(), { secureAggregation: { range: 4 } }) });
  assert.ok(secure.history.every((h) => h.privacy?.secaggSeconds !== undefined), 'rounds went through secure aggregation');
  // fixed-point encoding rounds each value: the global models agree to the encoding's precision
  const a = flattenParameters(plain.parameters);
  const b = flattenParameters(secure.parameters);
  const diff = Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));
  assert.ok(diff < 1e-3, `secure vs plain global model: ${diff}`);
  for (const r of [priv, plain, secure]) r.layersModel!.dispose();
});

test('clientFn runs refuse bad input with one line', async () => {
  await initEngine({ backend: 'wasm' });
  const base = { model, clientFn, clients: 2, evaluationData, rounds: 1, seed: 0, workers: 0, strategy: strategy() };
  await assert.rejects(runSimulation({ ...base, evaluationData: undefined }), (e: Error) => e instanceof ConfigError && /missing evaluationData/.test(e.message));
  await assert.rejects(runSimulation({ ...base, clientFn: () => ({ xs: tf.zeros([3, FEATURES]), ys: tf.tensor1d([0, 1, 5], 'int32') }) }), (e: Error) => e instanceof ShapeMismatchError && /target 5 of example 2 is not a class id in \[0, 3\)/.test(e.message));
  await assert.rejects(runSimulation({ ...base, clientFn: (cid) => ({ xs: tf.zeros([3, cid === '0' ? FEATURES : 5]), ys: tf.zeros([3], 'int32') }) }), (e: Error) => e instanceof ShapeMismatchError && /client "1": xs is float32 \[3, 5\]/.test(e.message));
  await assert.rejects(runSimulation({ ...base, model: () => ({}) as tf.LayersModel }), (e: Error) => e instanceof ConfigError && /same @tensorflow\/tfjs/.test(e.message));
});
