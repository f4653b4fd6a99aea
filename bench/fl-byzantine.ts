/**
 * Byzantine benchmark of the federated service: `node dist/bench/fl-byzantine.js [--steering-only] [--rounds R]`.
 *
 * Part 1, steering (synthetic model of 1,000 parameters, the real HTTP service on loopback, real
 * RemoteSessions): 5 clients, 1 attacker, one round, for each attack: a weight of 1e9 claimed at
 * enrolment (with an update of norm 10), the same claimed at a check-in, an update of norm 9,999
 * (just under the refusal bound), and both. Reports how far the round moves the model, relative
 * to the largest honest update (target ≤ 2), with the default settings and with the settings
 * that reproduce the service before issue 18 (claimed weights: --max-weight 1e9; no norm clip).
 * The honest updates: a shared direction plus client noise, norms about 0.013 (as measured in the issue).
 *
 * Part 2, accuracy (CLINC150 from $TRUSTNLU_DATA, embbag, iid over 10 clients, every client in
 * every round, default service settings: invite enrolment, equal weights, norm clip 3× median):
 * 2 of the 10 clients (20%) attack in every round: they claim 1e9 examples at enrolment, train,
 * and send −100× their own update. Final test accuracy of FedAvg (default bound), trimmed mean
 * (β = 0.2) and median under attack, against FedAvg without attack (the two clients honest) and
 * against the same strategy without attack. Adam (lr 0.01), ≤ 15 local steps of 32 per round.
 * The coordinator is driven in process (no HTTP) with LocalTrainingClients on the wasm backend.
 * Writes bench-results/fl-byzantine.json; the figures are quoted in BENCHMARKS.md and
 * docs/federated-service.md (raw JSON committed as docs/results/fl-byzantine.json).
 */
import { loadavg } from 'node:os';
import { RemoteSession } from '../src/federated/client/remote-session.js';
import { buildCoordinator, startFederationService, type ServiceOptions } from '../src/federated/server/index.js';
import { machine, writeResult } from './common.js';

const P = 1000;
const HONEST = 4;

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** Client k's honest update: a shared direction plus its own noise (norm ≈ 0.013). */
function honestDelta(k: number): Float32Array {
  const d = new Float32Array(P);
  for (let j = 0; j < P; j++) d[j] = 0.00035 * Math.sin(0.37 * j + 1) + 0.0001 * Math.cos(1.7 * k + 0.91 * j + k * k);
  return d;
}

/** The attacker's update: norm `norm`, pointing against the honest direction. */
function attackDelta(norm: number): Float32Array {
  const d = new Float32Array(P);
  for (let j = 0; j < P; j++) d[j] = -Math.sin(0.37 * j + 1);
  const n = Math.sqrt(d.reduce((s, v) => s + v * v, 0));
  return d.map((v) => (v * norm) / n);
}

const l2 = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0));

interface SteeringRow {
  attack: string;
  settings: 'default' | 'before (claimed weights, no clip)';
  claimedAtEnrolment: number;
  claimedAtCheckIn?: number;
  checkInStatus?: number;
  attackNorm: number;
  attackerWeight: number;
  movement: number;
  largestHonest: number;
  ratio: number;
}

async function steeringRound(attack: { name: string; enrol: number; checkIn?: number; norm: number }, before: boolean): Promise<SteeringRow> {
  const service = await startFederationService({
    source: { kind: 'synthetic', parameters: P },
    strategy: 'fedavg',
    statePath: ':memory:',
    policy: { rounds: 1, targetUpdates: HONEST + 1, minClients: HONEST + 1, roundTimeoutMs: 60_000, ...(before ? { normClipMultiple: 0 } : {}) },
    // invite enrolment (the default): the operator issues the five codes; "before": weights were the claims
    enrolment: { mode: 'invite', ...(before ? { maxWeight: 1e9 } : {}) },
  });
  try {
    const { invites } = await service.coordinator.issueInvites({ count: HONEST + 1 });
    const sessions = Array.from({ length: HONEST + 1 }, () => new RemoteSession({ server: service.url, attempts: 1 }));
    const enrolled = await Promise.all(sessions.map((s, k) => s.register(k === HONEST ? 'attacker' : `honest-${k}`, k === HONEST ? attack.enrol : 100, invites[k].code)));
    let checkInStatus: number | undefined;
    if (attack.checkIn !== undefined) {
      const r = await fetch(`${service.url}/v1/checkin`, {
        method: 'POST',
        headers: { authorization: `Bearer ${sessions[HONEST].credentials!.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ numExamples: attack.checkIn }),
      });
      checkInStatus = r.status;
      await r.arrayBuffer();
    }
    await Promise.all(sessions.map((s) => s.checkIn()));
    await Promise.all(sessions.map((s) => s.checkIn()));
    for (let k = 0; k <= HONEST; k++) {
      await sessions[k].submit({ round: 1, modelVersion: 0 }, k === HONEST && attack.norm > 0 ? attackDelta(attack.norm) : honestDelta(k), k === HONEST ? 1 : 100);
    }
    if (service.coordinator.currentModelVersion !== 1) throw new Error(`round 1 did not complete: ${JSON.stringify(service.coordinator.rounds())}`);
    const movement = l2(service.coordinator.parameters.arrays[0]);
    const largestHonest = Math.max(...Array.from({ length: attack.norm > 0 ? HONEST : HONEST + 1 }, (_, k) => l2(honestDelta(k))));
    return {
      attack: attack.name,
      settings: before ? 'before (claimed weights, no clip)' : 'default',
      claimedAtEnrolment: attack.enrol,
      ...(attack.checkIn !== undefined ? { claimedAtCheckIn: attack.checkIn, checkInStatus } : {}),
      attackNorm: attack.norm,
      attackerWeight: enrolled[HONEST].weight,
      movement,
      largestHonest,
      ratio: movement / largestHonest,
    };
  } finally {
    await service.close();
  }
}

const ATTACKS = [
  // reference: the fifth client is honest too (what a round moves the model without an attack)
  { name: 'none (5 honest clients)', enrol: 100, norm: -1 },
  { name: 'inflated weight at enrolment', enrol: 1e9, norm: 10 },
  { name: 'inflated weight at check-in', enrol: 100, checkIn: 1e9, norm: 10 },
  { name: 'huge update', enrol: 100, norm: 9_999 },
  { name: 'both', enrol: 1e9, norm: 9_999 },
];

interface AccuracyRow {
  strategy: string;
  attacked: boolean;
  attackers: number;
  clients: number;
  rounds: number;
  accuracy: number;
  curve: number[];
  clippedUpdatesPerRound: number[];
  seconds: number;
}

async function accuracyRun(strategy: string, attacked: boolean, rounds: number, clients: number, attackers: number): Promise<AccuracyRow> {
  const started = performance.now();
  const source: ServiceOptions['source'] = { kind: 'dataset', dataset: 'clinc150', partition: 'iid', numClients: clients, model: 'embbag', seed: 0, backend: 'wasm' };
  const { coordinator, store } = await buildCoordinator({
    source,
    strategy,
    statePath: ':memory:',
    policy: { rounds, targetUpdates: clients, minClients: clients, roundTimeoutMs: 3_600_000, seed: 0 },
    local: { localEpochs: 1, batchSize: 32, optimizer: 'adam', learningRate: 0.01, maxSteps: 15 },
  });
  try {
    const [{ prepareFederatedDataset }, { createModel }, { tokenizerFromJSON }, { LocalTrainingClient }, { flattenParameters }] = await Promise.all([
      import('../src/federated/simulation/federated-dataset.js'),
      import('../src/models/index.js'),
      import('../src/text/index.js'),
      import('../src/federated/client/index.js'),
      import('../src/federated/aggregate/index.js'),
    ]);
    const data = prepareFederatedDataset({ dataset: 'clinc150', partition: 'iid', numClients: clients, model: 'embbag', seed: 0 });
    const model = createModel({ kind: data.model.kind, tokenizer: tokenizerFromJSON(data.model.tokenizer), labels: data.model.labels, seed: data.model.seed, config: data.model.config as never });
    const ids = data.clients.map((c) => c.id);
    const attackerIds = new Set(attacked ? ids.slice(0, attackers) : []);
    const { invites } = await coordinator.issueInvites({ clientIds: ids });
    for (const [i, id] of ids.entries()) await coordinator.register({ clientId: id, numExamples: attackerIds.has(id) ? 1e9 : data.clients[i].indices.length, enrolmentCode: invites[i].code });
    const trainers = new Map(data.clients.map((c) => [c.id, new LocalTrainingClient(c.id, model, data.train, c.indices, { outOfScopeIndex: data.outOfScopeIndex })]));
    for (let r = 1; r <= rounds; r++) {
      for (const id of ids) await coordinator.checkIn(id);
      for (const id of ids) {
        const answer = await coordinator.checkIn(id);
        if (answer.action !== 'train') continue;
        const task = await coordinator.task(id, String(answer.round));
        const global = new Float32Array((await coordinator.model(String(task.modelVersion))).slice().buffer);
        const { viewParameters } = await import('../src/federated/aggregate/index.js');
        const fit = await trainers.get(id)!.fit(viewParameters(global, task.layout), task.config);
        const delta = flattenParameters(fit.delta!);
        if (attackerIds.has(id)) for (let j = 0; j < delta.length; j++) delta[j] *= -100;
        const norm = l2(delta);
        if (norm > task.maxUpdateNorm) for (let j = 0; j < delta.length; j++) delta[j] *= (task.maxUpdateNorm / norm) * (1 - 1e-6);
        await coordinator.submit(id, String(task.round), { modelVersion: task.modelVersion, numExamples: fit.numExamples, metrics: {} }, new Uint8Array(delta.buffer));
      }
      if (coordinator.currentModelVersion !== r) throw new Error(`round ${r} did not complete`);
    }
    await coordinator.drain();
    const history = coordinator.rounds();
    const curve = history.map((h) => h.metrics.accuracy ?? NaN);
    return {
      strategy,
      attacked,
      attackers: attackerIds.size,
      clients,
      rounds,
      accuracy: curve[curve.length - 1],
      curve,
      clippedUpdatesPerRound: history.map((h) => h.metrics.clippedUpdates ?? 0),
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await store.close();
  }
}

const load = () => loadavg().map((l) => Number(l.toFixed(2)));
const loadBefore = load();
const steering: SteeringRow[] = [];
for (const attack of ATTACKS) {
  steering.push(await steeringRound(attack, false));
  if (attack.checkIn === undefined && attack.norm > 0) steering.push(await steeringRound(attack, true));
}
for (const row of steering) console.error(JSON.stringify(row));
let accuracy: AccuracyRow[] = [];
let accuracySkipped: string | undefined;
if (!process.argv.includes('--steering-only')) {
  if (!process.env.TRUSTNLU_DATA) accuracySkipped = 'TRUSTNLU_DATA is not set: the CLINC150 part needs the real data';
  else {
    const rounds = flag('--rounds', 10);
    const clients = 10;
    const attackers = 2;
    // each strategy with and without the attack: the attack's cost apart from the aggregator's own
    const runs = [['fedavg', false], ['fedavg', true], ['trimmed:0.2', true], ['median', true], ['trimmed:0.2', false], ['median', false]] as const;
    for (const [strategy, attacked] of runs) {
      const row = await accuracyRun(strategy, attacked, rounds, clients, attackers);
      console.error(JSON.stringify(row));
      accuracy.push(row);
    }
  }
}
const baseline = accuracy.find((r) => !r.attacked && r.strategy === 'fedavg')?.accuracy;
const ownBaseline = (strategy: string) => accuracy.find((r) => !r.attacked && r.strategy === strategy)?.accuracy;
const result = {
  machine: machine(),
  loadBefore,
  loadAfter: load(),
  steering,
  steeringTargetMet: steering.filter((r) => r.settings === 'default').every((r) => r.ratio <= 2),
  accuracy,
  ...(baseline !== undefined
    ? {
        /** Points below FedAvg without attack. */
        accuracyGapPoints: Object.fromEntries(accuracy.filter((r) => r.attacked).map((r) => [r.strategy, Number(((baseline - r.accuracy) * 100).toFixed(2))])),
        /** Points below the same strategy without attack. */
        attackCostPoints: Object.fromEntries(
          accuracy.filter((r) => r.attacked && ownBaseline(r.strategy) !== undefined).map((r) => [r.strategy, Number(((ownBaseline(r.strategy)! - r.accuracy) * 100).toFixed(2))]),
        ),
      }
    : {}),
  ...(accuracySkipped ? { accuracySkipped } : {}),
};
const path = writeResult('fl-byzantine', result);
const summary = result as { accuracyGapPoints?: unknown; attackCostPoints?: unknown };
console.log(JSON.stringify({ file: path, steeringTargetMet: result.steeringTargetMet, accuracyGapPoints: summary.accuracyGapPoints, attackCostPoints: summary.attackCostPoints }));
