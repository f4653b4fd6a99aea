/**
 * Byzantine benchmark of the federated service:
 *   node dist/bench/fl-byzantine.js [--steering-only] [--rounds R] [--seeds 0,1,2]
 *     [--strategies fedavg,trimmed:0.2,median] [--reference-only fedavg] [--attack-multiplier 100]
 *     [--attacked-only] [--out PATH]
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
 * and send −100× their own update (--attack-multiplier M: −M×; with M = 1, plain sign flipping,
 * the update keeps an honest norm and no clip touches it; --attacked-only: only the attacked runs,
 * to pair with the no-attack runs of another result file). Final test accuracy of FedAvg (default bound), trimmed mean
 * (β = 0.2) and median under attack, against FedAvg without attack (the two clients honest) and
 * against the same strategy without attack. Adam (lr 0.01), ≤ 15 local steps of 32 per round.
 * Every strategy runs with and without the attack for each seed (the seed draws the partition,
 * the model's initialisation and the local shuffles); the gaps are paired by seed and reported
 * as the mean with a 95% Student-t interval over the seeds. Strategies named in --reference-only
 * run only without the attack (a reference for the others' utility, e.g. FedAvg). One JSON line per round on stderr;
 * the result file is rewritten after each run, so an interrupted run keeps what it finished.
 * The coordinator is driven in process (no HTTP) with LocalTrainingClients on the wasm backend.
 * Writes bench-results/fl-byzantine.json; the figures are quoted in BENCHMARKS.md and
 * docs/federated-service.md (raw JSON committed as docs/results/fl-byzantine.json).
 */
import { loadavg } from 'node:os';
import { RemoteSession } from '../src/federated/client/remote-session.js';
import { buildCoordinator, startFederationService, type ServiceOptions } from '../src/federated/server/index.js';
import { pairedGap } from './paired-gap.js';
import { machine, numberFlag, writeResult } from './common.js';

const P = 1000;
const HONEST = 4;


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

/** Attackers send −attackMultiplier × their own update. */
const attackMultiplier = numberFlag('--attack-multiplier', 100);

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
  seed: number;
  attackers: number;
  clients: number;
  rounds: number;
  accuracy: number;
  curve: number[];
  clippedUpdatesPerRound: number[];
  seconds: number;
}

async function accuracyRun(strategy: string, attacked: boolean, rounds: number, clients: number, attackers: number, seed: number): Promise<AccuracyRow> {
  const started = performance.now();
  const source: ServiceOptions['source'] = { kind: 'dataset', dataset: 'clinc150', partition: 'iid', numClients: clients, model: 'embbag', seed, backend: 'wasm' };
  const { coordinator, store } = await buildCoordinator({
    source,
    strategy,
    statePath: ':memory:',
    policy: { rounds, targetUpdates: clients, minClients: clients, roundTimeoutMs: 3_600_000, seed },
    local: { localEpochs: 1, batchSize: 32, optimizer: 'adam', learningRate: 0.01, maxSteps: 15 },
  });
  try {
    const [{ prepareFederatedDataset }, { createModel }, { tokenizerFromJSON }, { LocalTrainingClient }, { flattenParameters, viewParameters }] = await Promise.all([
      import('../src/federated/simulation/federated-dataset.js'),
      import('../src/models/index.js'),
      import('../src/text/index.js'),
      import('../src/federated/client/index.js'),
      import('../src/federated/aggregate/index.js'),
    ]);
    const data = prepareFederatedDataset({ dataset: 'clinc150', partition: 'iid', numClients: clients, model: 'embbag', seed });
    const model = createModel({ kind: data.model.kind, tokenizer: tokenizerFromJSON(data.model.tokenizer!), labels: data.model.labels, seed: data.model.seed, config: data.model.config as never });
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
        const fit = await trainers.get(id)!.fit(viewParameters(global, task.layout), task.config);
        const delta = flattenParameters(fit.delta!);
        if (attackerIds.has(id)) for (let j = 0; j < delta.length; j++) delta[j] *= -attackMultiplier;
        const norm = l2(delta);
        if (norm > task.maxUpdateNorm) for (let j = 0; j < delta.length; j++) delta[j] *= (task.maxUpdateNorm / norm) * (1 - 1e-6);
        await coordinator.submit(id, String(task.round), { modelVersion: task.modelVersion, numExamples: fit.numExamples, metrics: {} }, new Uint8Array(delta.buffer));
      }
      if (coordinator.currentModelVersion !== r) throw new Error(`round ${r} did not complete`);
      // the round's server-side evaluation, for the progress line (it does not touch the training model)
      await coordinator.drain();
      const last = coordinator.rounds().at(-1)!;
      console.error(JSON.stringify({ progress: 'round', seed, strategy, attacked, round: r, accuracy: last.metrics.accuracy, clipped: last.metrics.clippedUpdates, seconds: Number(((performance.now() - started) / 1000).toFixed(1)) }));
    }
    await coordinator.drain();
    const history = coordinator.rounds();
    const curve = history.map((h) => h.metrics.accuracy ?? NaN);
    return {
      strategy,
      attacked,
      seed,
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

function listFlag(name: string, fallback: string): string[] {
  const i = process.argv.indexOf(name);
  return (i >= 0 ? process.argv[i + 1] : fallback).split(',').filter((s) => s.length > 0);
}

const load = () => loadavg().map((l) => Number(l.toFixed(2)));
const loadBefore = load();
const steering: SteeringRow[] = [];
for (const attack of ATTACKS) {
  steering.push(await steeringRound(attack, false));
  if (attack.checkIn === undefined && attack.norm > 0) steering.push(await steeringRound(attack, true));
}
for (const row of steering) console.error(JSON.stringify(row));
const command = `TRUSTNLU_DATA=… node dist/bench/fl-byzantine.js ${process.argv.slice(2).join(' ')}`.trim();
const outPath = (() => {
  const i = process.argv.indexOf('--out');
  return i >= 0 ? process.argv[i + 1] : undefined;
})();
const accuracy: AccuracyRow[] = [];
let accuracySkipped: string | undefined;
const rounds = numberFlag('--rounds', 10);
const seeds = listFlag('--seeds', '0').map(Number);
// each strategy with and without the attack: the attack's cost apart from the aggregator's own convergence
const strategies = listFlag('--strategies', 'fedavg,trimmed:0.2,median');
// strategies run only without the attack: references for the others' utility
const referenceOnly = new Set(listFlag('--reference-only', ''));

function summary() {
  const find = (strategy: string, attacked: boolean) => (seed: number) => accuracy.find((r) => r.strategy === strategy && r.attacked === attacked && r.seed === seed);
  const checkpoints = [...new Set([10, 20, 30, 40, 50, rounds].filter((r) => r <= rounds))];
  const table = strategies.map((strategy) => {
    const own = accuracy.filter((r) => r.strategy === strategy);
    const mean = (attacked: boolean) => {
      const rows = own.filter((r) => r.attacked === attacked);
      return rows.length ? Number(((rows.reduce((s, r) => s + r.accuracy, 0) / rows.length) * 100).toFixed(2)) : undefined;
    };
    return {
      strategy,
      seeds: [...new Set(own.map((r) => r.seed))],
      /** Mean final accuracy (percent) over the seeds run. */
      accuracyNoAttack: mean(false),
      accuracyUnderAttack: mean(true),
      /** Points below FedAvg without attack, per seed (paired), at the last round and at earlier checkpoints. */
      gapToFedAvgNoAttack: pairedGap(find(strategy, true), find('fedavg', false), seeds),
      /** Points below the same strategy without attack, per seed (paired). */
      attackCost: pairedGap(find(strategy, true), find(strategy, false), seeds),
      /** The strategy's own slower convergence without attack: points below FedAvg without attack. */
      convergenceGapNoAttack: strategy === 'fedavg' ? undefined : pairedGap(find(strategy, false), find('fedavg', false), seeds),
      byRound: Object.fromEntries(
        checkpoints.map((r) => [
          r,
          {
            gapToFedAvgNoAttack: pairedGap(find(strategy, true), find('fedavg', false), seeds, r)?.mean,
            attackCost: pairedGap(find(strategy, true), find(strategy, false), seeds, r)?.mean,
          },
        ]),
      ),
    };
  });
  return {
    table,
    /** Target: the robust strategies under attack within 2 points (mean over seeds). */
    targetMetAgainstFedAvgNoAttack: Object.fromEntries(table.filter((t) => t.strategy !== 'fedavg' && t.gapToFedAvgNoAttack).map((t) => [t.strategy, t.gapToFedAvgNoAttack!.mean <= 2])),
    targetMetAgainstOwnNoAttack: Object.fromEntries(table.filter((t) => t.strategy !== 'fedavg' && t.attackCost).map((t) => [t.strategy, t.attackCost!.mean <= 2])),
  };
}

function write(complete: boolean): string {
  const result = {
    machine: machine(),
    loadBefore,
    loadAfter: load(),
    complete,
    settings: { rounds, seeds, strategies, referenceOnly: [...referenceOnly], clients: 10, attackers: 2, dataset: 'clinc150', partition: 'iid', model: 'embbag', local: { batchSize: 32, maxSteps: 15, optimizer: 'adam', learningRate: 0.01 }, attack: `claim 1e9 examples at enrolment; send −${attackMultiplier} × own update` },
    steering,
    steeringTargetMet: steering.filter((r) => r.settings === 'default').every((r) => r.ratio <= 2),
    ...(accuracy.length ? { accuracySummary: summary() } : {}),
    accuracy,
    ...(accuracySkipped ? { accuracySkipped } : {}),
  };
  return writeResult('fl-byzantine', result, { command, ...(outPath ? { path: outPath } : {}) });
}

if (!process.argv.includes('--steering-only')) {
  if (!process.env.TRUSTNLU_DATA) accuracySkipped = 'TRUSTNLU_DATA is not set: the CLINC150 part needs the real data';
  else {
    const clients = 10;
    const attackers = 2;
    for (const seed of seeds) {
      for (const strategy of strategies) {
        for (const attacked of referenceOnly.has(strategy) ? [false] : process.argv.includes('--attacked-only') ? [true] : [false, true]) {
          const row = await accuracyRun(strategy, attacked, rounds, clients, attackers, seed);
          console.error(JSON.stringify({ ...row, curve: row.curve.map((a) => Number(a.toFixed(4))) }));
          accuracy.push(row);
          // partial results survive an interrupted run
          write(false);
        }
      }
    }
  }
}
const path = write(true);
console.log(JSON.stringify({ file: path, steeringTargetMet: steering.filter((r) => r.settings === 'default').every((r) => r.ratio <= 2), ...(accuracy.length ? summary() : {}) }));
