/**
 * Federated-learning benchmarks (results recorded in docs/federated.md):
 *  1. Simulator overhead: one 100-client FedAvg round on the worker pool (1 and 2 workers)
 *     and in process, beside the same clients' local training run back to back in this
 *     process (trainLocally, one model), measured side by side in one run.
 *  2. Memory: 10,000 registered clients (process RSS, which includes the worker threads).
 *  3. Aggregation: weighted mean of 1,000 updates of 1M parameters, ms and GB/s, beside a
 *     plain memory copy of the same bytes measured in the same run; robust aggregators at
 *     n = 100 for scale.
 * Run: npx tsc -p tsconfig.json && node dist/bench/federated.js [overhead|memory|aggregation ...]
 */
import { freemem } from 'node:os';
import { pathToFileURL } from 'node:url';
import { initEngine } from '../src/engine/index.js';
import { SeededRandom } from '../src/engine/random.js';
import { resolveDataDir } from '../src/data/locate.js';
import { coordinateMedian, krum, trimmedMean, weightedMean, type ParameterSet } from '../src/federated/aggregate/index.js';
import { localTrainingConfigFrom, readModelParameters, trainLocally } from '../src/federated/client/index.js';
import { fedAvg } from '../src/federated/strategies/index.js';
import {
  ClientRegistry,
  prepareFederatedDataset,
  runSimulation,
  SimulationExecutor,
  TrainingWorker,
  type FederatedDataset,
} from '../src/federated/simulation/index.js';
import { machine, median, timeMedian } from './common.js';

const LOCAL = { optimizer: 'adam' as const, learningRate: 2e-3, batchSize: 32, localEpochs: 1 };

function overheadDataset(): { data: FederatedDataset; note: string } {
  if (resolveDataDir()) {
    try {
      const data = prepareFederatedDataset({ dataset: 'clinc150', partition: 'iid', numClients: 100, model: 'embbag', seed: 0 });
      return { data, note: 'CLINC150 train (15,100 examples) IID over 100 clients (151 each), embbag (default size), 5 local Adam steps of 32 per client' };
    } catch {
      // fall through to the synthetic set
    }
  }
  const data = prepareFederatedDataset({ dataset: 'synthetic', partition: 'iid', numClients: 100, model: 'embbag', seed: 0 });
  return { data, note: 'synthetic set (1,800 examples) IID over 100 clients, embbag (default size), 1 local step per client' };
}

/** Seconds of the given round's training part (evaluation excluded). */
async function simulatorRound(data: FederatedDataset, workers: number, rounds: number): Promise<number[]> {
  const executor = await SimulationExecutor.create(data, { workers });
  try {
    const result = await runSimulation({
      data,
      strategy: fedAvg({ clientsPerRound: 100, local: LOCAL }),
      rounds,
      seed: 1,
      executor,
      evaluateEvery: 1000,
    });
    return result.history.map((h) => h.seconds - h.evaluationSeconds);
  } finally {
    await executor.close();
  }
}

/** The same clients' local training, back to back in this process: seconds per pass. */
async function backToBack(data: FederatedDataset, passes: number): Promise<number[]> {
  const worker = await TrainingWorker.create({ model: data.model, train: data.train, evaluation: data.evaluation });
  const global = readModelParameters(worker.model);
  const times: number[] = [];
  try {
    for (let pass = 0; pass < passes; pass++) {
      const started = performance.now();
      data.clients.forEach((client, i) => {
        const config = localTrainingConfigFrom({ ...LOCAL, seed: pass * 1000 + i, proximalMu: 0, momentum: 0, maxSteps: 0 });
        trainLocally(worker.model, data.train, client.indices, global, config);
      });
      times.push((performance.now() - started) / 1000);
    }
  } finally {
    worker.dispose();
  }
  return times;
}

export async function benchmarkOverhead(): Promise<object> {
  await initEngine({ backend: 'wasm' });
  const { data, note } = overheadDataset();
  // warm-up pass + 2 timed passes; the simulator's first round warms each worker up
  const sequential = (await backToBack(data, 3)).slice(1);
  const inProcess = (await simulatorRound(data, 0, 3)).slice(1);
  const oneWorker = (await simulatorRound(data, 1, 3)).slice(1);
  const twoWorkers = (await simulatorRound(data, 2, 3)).slice(1);
  const base = median(sequential);
  const row = (label: string, times: number[]) => ({ label, seconds: Number(median(times).toFixed(3)), ratio: Number((median(times) / base).toFixed(3)) });
  return {
    setup: note,
    rows: [
      row('local training back to back, one process (baseline)', sequential),
      row('simulator round, in process (workers = 0)', inProcess),
      row('simulator round, 1 worker', oneWorker),
      row('simulator round, 2 workers', twoWorkers),
    ],
  };
}

export async function benchmarkMemory(): Promise<object> {
  const rss = () => Number((process.memoryUsage().rss / 2 ** 20).toFixed(1));
  const before = rss();
  let data: FederatedDataset;
  let setup: string;
  try {
    data = prepareFederatedDataset({ dataset: 'clinc150', partition: 'iid', numClients: 10_000, model: 'embbag', seed: 0 });
    setup = 'CLINC150 train IID over 10,000 clients (1–2 examples each), embbag';
  } catch {
    // without the real data: 10,000 clients of 20 (overlapping) synthetic examples each
    const base = prepareFederatedDataset({ dataset: 'synthetic', partition: 'iid', numClients: 10, model: 'embbag', seed: 0 });
    const rng = new SeededRandom(0);
    const n = base.train.task === 'classifier' ? base.train.targets.length : 0;
    base.clients = Array.from({ length: 10_000 }, (_, i) => ({ id: `client-${String(i).padStart(4, '0')}`, indices: Array.from({ length: 20 }, () => rng.int(n)) }));
    data = base;
    setup = 'synthetic set, 10,000 clients of 20 examples drawn with overlap (no real data found), embbag';
  }
  const afterData = rss();
  const registry = new ClientRegistry(data.clients);
  const afterRegistry = rss();
  const result = await runSimulation({ data, strategy: fedAvg({ clientsPerRound: 20, local: LOCAL }), rounds: 3, seed: 0, workers: 2, evaluateEvery: 1000 });
  const afterRounds = rss();
  return {
    setup,
    clients: registry.size,
    rssMB: { start: before, afterDataset: afterData, afterRegistry, afterThreeRoundsOnTwoWorkers: afterRounds },
    registryMB: Number((afterRegistry - afterData).toFixed(1)),
    accuracy: result.accuracy,
  };
}

function updatesOf(count: number, distinct: number, size: number): ParameterSet[] {
  const pool: ParameterSet[] = [];
  for (let i = 0; i < distinct; i++) {
    const a = new Float32Array(size);
    let s = (i + 1) * 2654435761;
    for (let j = 0; j < size; j++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      a[j] = s / 2 ** 32 - 0.5;
    }
    pool.push({ names: ['w'], arrays: [a] });
  }
  return Array.from({ length: count }, (_, i) => pool[i % distinct]);
}

export function benchmarkAggregation(options: { updates?: number; parameters?: number } = {}): object {
  const n = options.updates ?? 1000;
  const d = options.parameters ?? 1_000_000;
  // distinct arrays when memory allows (4 GB for 1,000 × 1M); otherwise a pool far larger than cache, reused
  const distinct = freemem() > 2 * n * d * 4 + 2 ** 30 ? n : 64;
  const updates = updatesOf(n, distinct, d);
  const weights = Array.from({ length: n }, (_, i) => 1 + (i % 7));
  const bytes = n * d * 4;
  const meanMs = timeMedian(() => weightedMean(updates, weights), 3, 0);
  const target = new Float32Array(d);
  const copyMs = timeMedian(() => {
    for (const u of updates) target.set(u.arrays[0]);
  }, 3, 0);
  const sumMs = timeMedian(() => {
    const acc = new Float64Array(d);
    for (let i = 0; i < n; i++) {
      const a = updates[i].arrays[0];
      const w = weights[i];
      for (let j = 0; j < d; j++) acc[j] += w * a[j];
    }
  }, 3, 0);
  const gbps = (ms: number) => Number((bytes / (ms / 1000) / 1e9).toFixed(2));
  const robustN = 100;
  const few = updates.slice(0, robustN);
  const robustBytes = robustN * d * 4;
  const medianMs = timeMedian(() => coordinateMedian(few), 1, 0);
  const trimmedMs = timeMedian(() => trimmedMean(few, 0.1), 1, 0);
  const krumFew = updates.slice(0, 20);
  const krumMs = timeMedian(() => krum(krumFew, 2), 1, 0);
  return {
    updates: n,
    parameters: d,
    distinctArrays: distinct,
    inputGB: Number((bytes / 1e9).toFixed(2)),
    rows: [
      { label: `weightedMean, ${n} × ${d}`, ms: Number(meanMs.toFixed(1)), GBps: gbps(meanMs) },
      { label: 'plain Float64 accumulate loop (one update at a time), same data', ms: Number(sumMs.toFixed(1)), GBps: gbps(sumMs) },
      { label: 'memory copy (TypedArray.set of every update into one buffer), same data', ms: Number(copyMs.toFixed(1)), GBps: gbps(copyMs) },
      { label: `coordinateMedian, ${robustN} × ${d}`, ms: Number(medianMs.toFixed(1)), GBps: Number((robustBytes / (medianMs / 1000) / 1e9).toFixed(2)) },
      { label: `trimmedMean β = 0.1, ${robustN} × ${d}`, ms: Number(trimmedMs.toFixed(1)), GBps: Number((robustBytes / (trimmedMs / 1000) / 1e9).toFixed(2)) },
      { label: `krum f = 2, 20 × ${d}`, ms: Number(krumMs.toFixed(1)), GBps: Number(((20 * d * 4) / (krumMs / 1000) / 1e9).toFixed(2)) },
    ],
  };
}

export async function runFederatedBenchmarks(parts: string[] = ['overhead', 'memory', 'aggregation']): Promise<object> {
  const out: Record<string, unknown> = { machine: machine(), command: `node dist/bench/federated.js ${parts.join(' ')}` };
  for (const part of parts) {
    if (part === 'overhead') out.overhead = await benchmarkOverhead();
    else if (part === 'memory') out.memory = await benchmarkMemory();
    else if (part === 'aggregation') out.aggregation = benchmarkAggregation();
    else throw new Error(`unknown part "${part}": choose overhead, memory, aggregation`);
  }
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const parts = process.argv.slice(2);
  const result = await runFederatedBenchmarks(parts.length ? parts : undefined);
  process.stdout.write(`${JSON.stringify(result, null, 1)}\n`);
}
