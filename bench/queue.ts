/**
 * The Redis queue against the local worker pool (docs/scale-out.md): jobs per second and
 * per-job overhead, with 1 and 2 workers (threads of one pool, or worker processes of one
 * thread each on a throw-away loopback redis-server), for three kinds of job:
 * - empty jobs (4 floats scaled; the fixture handler of the pool tests): pure overhead;
 * - empty jobs that move an FL client's data (62,640 floats in, shared; as many out, per job);
 * - FL client jobs (one round of 100 simulated clients, synthetic set IID, embbag, 1 local epoch);
 * - shadow-model jobs (LiRA shadows, embbag on 120 synthetic examples, 1 epoch).
 * Every case runs `--runs` times (medians reported) with the load average at its start.
 * `checkpoint-codec` times, without Redis, what the checkpoint format adds to an FL job: encoding
 * a round's global model (once per round) and decoding it on the worker (once per job).
 *
 *   node dist/bench/queue.js [--runs 3] [--empty-jobs 300] [--shadows 4] [--only empty,empty-fl-sized,fl-client,shadow-model,checkpoint-codec] [--out docs/results/queue-bench.json]
 */
import { loadavg } from 'node:os';
import { QueueJobRunner } from '../src/engine/jobs/index.js';
import { WorkerPool } from '../src/engine/workers/index.js';
import { fedAvg } from '../src/federated/strategies/index.js';
import { prepareFederatedDataset, runSimulation, SimulationExecutor, type FederatedDataset } from '../src/federated/simulation/index.js';
import { trainModels } from '../src/privacy/audit/index.js';
// the throw-away redis-server and worker processes of the tests (own port and directory, never a system service)
import { redisInstalled, startLocalRedis, REDIS_MISSING, type LocalRedis } from '../test/federated/store/local-redis.js';
import { FIXTURE_HANDLER, startFixtureWorker, type WorkerProcess } from '../test/engine/jobs/queue-processes.js';
import type { FixtureJob } from '../test/engine/workers/fixture-handler.js';
import { shadowTrainingFixture } from '../test/engine/jobs/shadow-fixture.js';
import { globalModelCheckpoint, globalParameters } from '../src/federated/simulation/model-transport.js';
import { TrainingWorker, type InitialParametersResult } from '../src/federated/simulation/training-handler.js';
import { initEngine } from '../src/engine/index.js';
import { flagValue, median, numberFlag, writeResult } from './common.js';

const RUNS = numberFlag('--runs', 3);
const EMPTY_JOBS = numberFlag('--empty-jobs', 300);
const SHADOWS = numberFlag('--shadows', 4);
const OUT = flagValue('--out') ?? 'docs/results/queue-bench.json';

interface Case {
  kind: 'empty' | 'empty-fl-sized' | 'fl-client' | 'shadow-model';
  backend: 'local' | 'queue';
  workers: number;
  jobs: number;
  seconds: number[];
  load: number[];
}

async function withQueueWorkers<T>(redis: LocalRedis, n: number, fn: () => Promise<T>): Promise<T> {
  const workers: WorkerProcess[] = await Promise.all(Array.from({ length: n }, (_, i) => startFixtureWorker(redis.url, `bench-${i}`, { concurrency: 1, stallSeconds: 30 })));
  try {
    return await fn();
  } finally {
    await Promise.all(workers.map((w) => w.kill('SIGTERM')));
  }
}

/** The FL benchmark model's parameter count (embbag on the synthetic set): jobs that move as much data as a client job, without the training. */
const FL_PARAMETERS = 62_640;

async function emptyJobs(backend: 'local' | 'queue', n: number, redis: LocalRedis, floats = 4): Promise<number> {
  // one shared array (as a round's global model is), a result of the same size per job (as a client's delta is)
  const shared = new Float32Array(floats).fill(0.5);
  const jobs: FixtureJob[] = Array.from({ length: EMPTY_JOBS }, (_, i) => ({ op: 'scale', values: floats === 4 ? Float32Array.from([i, 1, 2, 3]) : shared }));
  if (backend === 'local') {
    const pool = new WorkerPool<FixtureJob, unknown>({ handler: FIXTURE_HANDLER, config: { factor: 2 }, size: n, backend: null });
    await pool.ready();
    await pool.map(jobs.slice(0, 10)); // warm
    const started = performance.now();
    await pool.map(jobs);
    const seconds = (performance.now() - started) / 1000;
    await pool.close();
    return seconds;
  }
  const runner = await QueueJobRunner.open<FixtureJob, unknown>({ queue: redis.url, handler: 'fixture', config: { factor: 2 }, backend: null });
  try {
    await runner.map(jobs.slice(0, 10)); // warm: every worker has opened the run
    const started = performance.now();
    await runner.map(jobs);
    return (performance.now() - started) / 1000;
  } finally {
    await runner.close();
  }
}

const LOCAL = { optimizer: 'adam' as const, learningRate: 2e-3, batchSize: 32, localEpochs: 1 };

/** Seconds of the second round's training (100 client jobs; the first round warms the workers). */
async function flRound(backend: 'local' | 'queue', n: number, redis: LocalRedis, data: FederatedDataset): Promise<number> {
  const executor = await SimulationExecutor.create(data, backend === 'local' ? { workers: n } : { queue: { queue: redis.url } });
  try {
    const result = await runSimulation({ data, strategy: fedAvg({ clientsPerRound: 100, local: LOCAL }), rounds: 2, seed: 1, executor, evaluateEvery: 1000 });
    const round = result.history[1];
    return round.seconds - round.evaluationSeconds;
  } finally {
    await executor.close();
  }
}

async function shadowModels(backend: 'local' | 'queue', n: number, redis: LocalRedis): Promise<number> {
  const { config, jobs } = shadowTrainingFixture(SHADOWS);
  const started = performance.now();
  await trainModels(config, jobs, backend === 'local' ? { workers: n } : { queue: { queue: redis.url } });
  return (performance.now() - started) / 1000;
}

/** Medians (ms) of encoding the benchmark's global model as a checkpoint and of decoding it, over `reps` repetitions each. */
async function checkpointCodec(data: FederatedDataset, reps = 200): Promise<Record<string, number>> {
  await initEngine({ backend: 'wasm' });
  const worker = await TrainingWorker.create({ model: data.model, train: data.train, evaluation: data.evaluation });
  try {
    const initial = worker.handle({ type: 'initial' }) as InitialParametersResult;
    const encode: number[] = [];
    const decode: number[] = [];
    let files = globalModelCheckpoint(data.model, initial.layout, initial.shapes, initial.parameters);
    for (let r = 0; r < reps; r++) {
      let t = performance.now();
      files = globalModelCheckpoint(data.model, initial.layout, initial.shapes, initial.parameters);
      encode.push(performance.now() - t);
      t = performance.now();
      globalParameters(files, initial.layout, 'bench');
      decode.push(performance.now() - t);
    }
    return {
      parameters: initial.parameters.length,
      weightsBytes: files.weights.byteLength,
      modelJsonBytes: files.modelJson.byteLength,
      encodeMsPerRound: Number(median(encode).toFixed(3)),
      decodeMsPerJob: Number(median(decode).toFixed(3)),
      reps,
      loadAtStart: Number(loadavg()[0].toFixed(2)),
    };
  } finally {
    worker.dispose();
  }
}

async function main(): Promise<void> {
  if (!redisInstalled()) throw new Error(REDIS_MISSING);
  const redis = await startLocalRedis({ appendfsync: 'everysec' });
  const data = prepareFederatedDataset({ dataset: 'synthetic', partition: 'iid', numClients: 100, model: 'embbag', seed: 0 });
  const cases: Case[] = [];
  const only = flagValue('--only')?.split(',');
  const kinds = [
    { kind: 'empty' as const, jobs: EMPTY_JOBS, run: (b: 'local' | 'queue', n: number) => emptyJobs(b, n, redis) },
    { kind: 'empty-fl-sized' as const, jobs: EMPTY_JOBS, run: (b: 'local' | 'queue', n: number) => emptyJobs(b, n, redis, FL_PARAMETERS) },
    { kind: 'fl-client' as const, jobs: 100, run: (b: 'local' | 'queue', n: number) => flRound(b, n, redis, data) },
    { kind: 'shadow-model' as const, jobs: SHADOWS, run: (b: 'local' | 'queue', n: number) => shadowModels(b, n, redis) },
  ];
  const codec = !only || only.includes('checkpoint-codec') ? await checkpointCodec(data) : undefined;
  if (codec) process.stderr.write(`checkpoint-codec: ${JSON.stringify(codec)}\n`);
  try {
    for (const { kind, jobs, run } of kinds.filter((k) => !only || only.includes(k.kind))) {
      for (const workers of [1, 2]) {
        for (const backend of ['local', 'queue'] as const) {
          const c: Case = { kind, backend, workers, jobs, seconds: [], load: [] };
          for (let r = 0; r < RUNS; r++) {
            c.load.push(Number(loadavg()[0].toFixed(2)));
            const seconds = backend === 'queue' ? await withQueueWorkers(redis, workers, () => run(backend, workers)) : await run(backend, workers);
            c.seconds.push(Number(seconds.toFixed(4)));
          }
          cases.push(c);
          const s = median(c.seconds);
          process.stderr.write(`${kind} ${backend} ×${workers}: median ${s.toFixed(3)} s for ${jobs} jobs (${(jobs / s).toFixed(1)} jobs/s), load ${c.load.join('/')}\n`);
        }
      }
    }
  } finally {
    await redis.stop();
  }
  const summary = cases.map((c) => {
    const s = median(c.seconds);
    return { kind: c.kind, backend: c.backend, workers: c.workers, jobs: c.jobs, medianSeconds: s, jobsPerSecond: c.jobs / s, msPerJob: (1000 * s) / c.jobs, runs: c.seconds, loadAtStart: c.load };
  });
  const result = {
    setup: {
      runs: RUNS,
      empty: `${EMPTY_JOBS} jobs scaling 4 floats (fixture handler, no tfjs)`,
      emptyFlSized: `${EMPTY_JOBS} jobs scaling ${FL_PARAMETERS} floats (one shared input array, as a round's global model; a result of that size per job, as a client's delta; no training)`,
      flClient: 'round 2 of a simulation: 100 clients of the synthetic set (1,800 examples IID over 100 clients), embbag, 1 local Adam epoch of batch 32; training part only',
      shadowModel: `${SHADOWS} embbag shadows on 60 of 120 synthetic examples, 1 epoch of batch 16`,
      queue: 'redis-server (Debian) on loopback, appendonly yes, appendfsync everysec; queue workers are processes of concurrency 1 (one thread each)',
    },
    cases: summary,
    ...(codec ? { checkpointCodec: codec } : {}),
  };
  const path = writeResult('queue', result, { command: `node dist/bench/queue.js ${process.argv.slice(2).join(' ')}`, path: OUT });
  console.log(JSON.stringify({ file: path, ...(codec ? { checkpointCodec: codec } : {}), cases: summary.map((c) => ({ kind: c.kind, backend: c.backend, workers: c.workers, jobsPerSecond: Number(c.jobsPerSecond.toFixed(2)), msPerJob: Number(c.msPerJob.toFixed(2)) })) }));
}

await main();
