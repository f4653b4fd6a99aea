/**
 * Why do the robust strategies lose accuracy under the Byzantine benchmark's attack?
 *   TRUSTNLU_DATA=… node dist/bench/fl-byzantine-diagnose.js [--rounds 10] [--seed 1] [--at 1,3,6,10]
 *
 * Trains FedAvg without attack on CLINC150 (the benchmark's clients, model and local settings)
 * and, at the checkpoint rounds, takes the ten honest deltas of that round and asks how each
 * aggregator would combine them (a) as they are and (b) with clients 0 and 1 attacking as in
 * the benchmark (−100 × their own delta, then the server's clip to k × the round's median norm).
 * For each aggregate a it reports the efficiency ⟨a, h⟩ / ⟨h, h⟩ (1 = the honest mean's progress
 * along h, the mean of the ten honest deltas) and ‖a − h‖ / ‖h‖. One JSON object on stdout.
 */
import { clipToMedianNorm, l2NormOf } from '../src/federated/server/norm-bound.js';
import { initEngine } from '../src/engine/index.js';
import { coordinateMedian, geometricMedian, multiKrum, nearestNeighbourMixing, trimmedMean, type ParameterSet } from '../src/federated/aggregate/index.js';
import { meanAroundMedian } from '../src/federated/aggregate/coordinate-wise.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const rounds = Number(arg('--rounds', '10'));
const seed = Number(arg('--seed', '1'));
const at = new Set(arg('--at', '1,3,6,10').split(',').map(Number));
const clients = 10;
const attackers = 2;

const set = (v: Float32Array): ParameterSet => ({ names: ['all'], arrays: [v] });
const dot = (a: Float32Array, b: Float32Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};
const mean = (vs: Float32Array[]) => {
  const out = new Float32Array(vs[0].length);
  for (const v of vs) for (let i = 0; i < v.length; i++) out[i] += v[i] / vs.length;
  return out;
};

const AGGREGATORS: Record<string, (vs: Float32Array[]) => Float32Array> = {
  mean,
  'trimmed:0.2': (vs) => trimmedMean(vs.map(set), 0.2).arrays[0],
  'trimmed:0.3': (vs) => trimmedMean(vs.map(set), 0.3).arrays[0],
  median: (vs) => coordinateMedian(vs.map(set)).arrays[0],
  'mean-around-median:0.2': (vs) => meanAroundMedian(vs.map(set), 0.2).arrays[0],
  'multi-krum(f=2,m=8)': (vs) => multiKrum(vs.map(set), 2, 8).arrays[0],
  'geometric median': (vs) => geometricMedian(vs.map(set)).arrays[0],
  'nnm(f=2)+trimmed:0.2': (vs) => trimmedMean(nearestNeighbourMixing(vs.map(set), 2), 0.2).arrays[0],
  'nnm(f=2)+median': (vs) => coordinateMedian(nearestNeighbourMixing(vs.map(set), 2)).arrays[0],
};

const { prepareFederatedDataset } = await import('../src/federated/simulation/federated-dataset.js');
const { createModel } = await import('../src/models/index.js');
const { tokenizerFromJSON } = await import('../src/text/index.js');
const { LocalTrainingClient } = await import('../src/federated/client/index.js');
const { flattenParameters, viewParameters, layoutOf } = await import('../src/federated/aggregate/index.js');
const { readModelParameters } = await import('../src/federated/client/model-parameters.js');
await initEngine({ backend: 'wasm' });

const data = prepareFederatedDataset({ dataset: 'clinc150', partition: 'iid', numClients: clients, model: 'embbag', seed });
const model = createModel({ kind: data.model.kind, tokenizer: tokenizerFromJSON(data.model.tokenizer!), labels: data.model.labels, seed: data.model.seed, config: data.model.config as never });
const trainers = data.clients.map((c) => new LocalTrainingClient(c.id, model, data.train, c.indices, { outOfScopeIndex: data.outOfScopeIndex }));
const initial = readModelParameters(model);
let global = flattenParameters(initial);
const layout = layoutOf(initial);
const config = { localEpochs: 1, batchSize: 32, optimizer: 'adam', learningRate: 0.01, maxSteps: 15 };
const report: unknown[] = [];
for (let r = 1; r <= rounds; r++) {
  const deltas: Float32Array[] = [];
  for (const [k, t] of trainers.entries()) {
    const fit = await t.fit(viewParameters(global, layout), { ...config, seed: seed * 1000 + r * 10 + k });
    deltas.push(flattenParameters(fit.delta!));
  }
  const h = mean(deltas);
  const hh = dot(h, h);
  if (at.has(r)) {
    const norms = deltas.map(l2NormOf);
    const spread = Math.sqrt(deltas.reduce((s, d) => s + d.reduce((t, v, i) => t + (v - h[i]) ** 2, 0), 0) / deltas.length);
    const scenarios: Record<string, Float32Array[]> = { 'no attack': deltas };
    for (const k of [3, 1]) {
      const attacked = deltas.map((d, i) => (i < attackers ? d.map((v) => v * -100) : d));
      scenarios[`attack, clip ${k}x median`] = clipToMedianNorm(attacked, k).deltas;
    }
    const rows: Record<string, Record<string, { efficiency: number; relativeError: number }>> = {};
    for (const [scenario, vs] of Object.entries(scenarios)) {
      rows[scenario] = {};
      for (const [name, agg] of Object.entries(AGGREGATORS)) {
        const a = agg(vs);
        const diff = a.map((v, i) => v - h[i]);
        rows[scenario][name] = { efficiency: Number((dot(a, h) / hh).toFixed(3)), relativeError: Number((l2NormOf(diff) / Math.sqrt(hh)).toFixed(3)) };
      }
    }
    const entry = { round: r, meanNorm: Math.sqrt(hh), medianClientNorm: norms.slice().sort((a, b) => a - b)[4], spreadAroundMean: spread, rows };
    console.error(JSON.stringify(entry));
    report.push(entry);
  }
  for (let i = 0; i < global.length; i++) global[i] += h[i];
}
console.log(JSON.stringify({ seed, rounds, report }));
