/** Strategies on hand-made updates: selection → config → aggregation → server step. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../../src/engine/random.js';
import { ConfigError } from '../../../src/errors.js';
import { initServerState, serverStep, weightedSum, type ParameterSet } from '../../../src/federated/aggregate/index.js';
import { activitySampler, type ClientInfo } from '../../../src/federated/selection/index.js';
import type { FitResult } from '../../../src/federated/strategy.js';
import {
  createStrategy,
  fedAdagrad,
  fedAdam,
  fedAvg,
  fedAvgM,
  fedKrum,
  fedMedian,
  fedProx,
  fedTrimmedMean,
  fedYogi,
  parseStrategySpec,
  STRATEGY_FORMS,
  type ServerStrategy,
} from '../../../src/federated/strategies/index.js';

const vec = (values: number[], name = 'w'): ParameterSet => ({ names: [name], arrays: [Float32Array.from(values)] });
const client = (id: string, numExamples: number): ClientInfo => ({ id, numExamples });
const fit = (clientId: string, delta: number[], numExamples = 1, loss = 1): FitResult => ({ clientId, numExamples, delta: vec(delta), metrics: { loss } });

function assertNear(actual: ArrayLike<number>, expected: number[], what: string, tol = 1e-6): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let j = 0; j < expected.length; j++) {
    assert.ok(Math.abs(actual[j] - expected[j]) <= tol * Math.max(1, Math.abs(expected[j])), `${what}[${j}]: got ${actual[j]}, expected ${expected[j]}`);
  }
}

/** Plans a round with every client selected (k = number of clients) and returns the instructions. */
function planAll(strategy: ServerStrategy, round: number, clients: ClientInfo[]) {
  return strategy.configureFit(round, clients, new SeededRandom(round));
}

test('FedAvg: the new global model is x + the example-weighted mean of the deltas, whatever the arrival order', () => {
  const clients = [client('a', 1), client('b', 3)];
  for (const order of [[0, 1], [1, 0]]) {
    const s = fedAvg({ clientsPerRound: 2 });
    s.initialize(vec([1, 2]));
    const ins = planAll(s, 1, clients);
    assert.deepEqual(ins.map((i) => i.clientId).sort(), ['a', 'b']);
    assert.ok(ins.every((i) => i.parameters === s.parameters && i.config.proximalMu === 0 && i.config.round === 1));
    const results = [fit('a', [1, 0], 1), fit('b', [-1, 4], 3)];
    const out = s.aggregateFit(1, order.map((i) => results[i]), []);
    // Δ = 0.25·(1, 0) + 0.75·(−1, 4) = (−0.5, 3)
    assertNear(out.parameters.arrays[0], [0.5, 5], 'x1');
    assert.equal(out.metrics.clients, 2);
    assert.equal(out.metrics.examples, 4);
    assertNear([out.metrics.trainLoss], [1], 'trainLoss');
  }
  // a client may send its local parameters instead of a delta: same result
  const s = fedAvg({ clientsPerRound: 2 });
  s.initialize(vec([1, 2]));
  planAll(s, 1, clients);
  const out = s.aggregateFit(1, [{ clientId: 'a', numExamples: 1, parameters: vec([2, 2]), metrics: {} }, fit('b', [-1, 4], 3)], []);
  assertNear(out.parameters.arrays[0], [0.5, 5], 'x1 from parameters');
});

test('FedProx with μ = 0 is FedAvg; with μ > 0 it only adds proximalMu to the client config', () => {
  const clients = [client('a', 2), client('b', 5), client('c', 1)];
  const results = [fit('a', [0.3, -1], 2), fit('b', [1, 1], 5), fit('c', [-2, 0.5], 1)];
  const avg = fedAvg({ clientsPerRound: 3 });
  const prox0 = fedProx({ clientsPerRound: 3, mu: 0 });
  const prox = fedProx({ clientsPerRound: 3, mu: 0.01 });
  const outs = [avg, prox0, prox].map((s) => {
    s.initialize(vec([0, 0]));
    const ins = planAll(s, 1, clients);
    return { ins, out: s.aggregateFit(1, results, []) };
  });
  assert.deepEqual(Array.from(outs[1].out.parameters.arrays[0]), Array.from(outs[0].out.parameters.arrays[0]));
  assert.deepEqual(outs[1].ins.map((i) => i.config), outs[0].ins.map((i) => i.config));
  assert.ok(outs[2].ins.every((i) => i.config.proximalMu === 0.01));
  assert.deepEqual(Array.from(outs[2].out.parameters.arrays[0]), Array.from(outs[0].out.parameters.arrays[0]));
  assert.equal(prox.name, 'fedprox(μ=0.01)');
  assert.throws(() => fedProx({ clientsPerRound: 1, mu: -1 }), ConfigError);
});

test('server optimisers move exactly as serverStep says, with their state carried across rounds', () => {
  // two equally sized clients whose deltas average to Δ1 = (0.5, −0.2), then Δ2 = (0.1, 0.01)
  const clients = [client('a', 4), client('b', 4)];
  const rounds = [
    [fit('a', [0.7, -0.1], 4), fit('b', [0.3, -0.3], 4)],
    [fit('a', [0.2, 0.11], 4), fit('b', [0, -0.09], 4)],
  ];
  const means = [[0.5, -0.2], [0.1, 0.01]];
  const hyper = { eta: 0.1, beta1: 0.9, beta2: 0.99, tau: 0.01 };
  const cases: [ServerStrategy, 'fedavgm' | 'fedadagrad' | 'fedadam' | 'fedyogi', Record<string, number>][] = [
    [fedAvgM({ clientsPerRound: 2, serverLearningRate: 0.1, momentum: 0.9 }), 'fedavgm', { eta: 0.1, momentum: 0.9 }],
    [fedAdagrad({ clientsPerRound: 2, serverLearningRate: 0.1, beta1: 0.9, tau: 0.01 }), 'fedadagrad', hyper],
    [fedAdam({ clientsPerRound: 2, serverLearningRate: 0.1, beta1: 0.9, beta2: 0.99, tau: 0.01 }), 'fedadam', hyper],
    [fedYogi({ clientsPerRound: 2, serverLearningRate: 0.1, beta1: 0.9, beta2: 0.99, tau: 0.01 }), 'fedyogi', hyper],
  ];
  for (const [strategy, kind, h] of cases) {
    strategy.initialize(vec([1, -1]));
    let x = vec([1, -1]);
    let state = initServerState(kind, x, h as never);
    for (let r = 0; r < 2; r++) {
      planAll(strategy, r + 1, clients);
      const out = strategy.aggregateFit(r + 1, rounds[r], []);
      const step = serverStep(kind, state, x, vec(means[r]), h as never);
      x = step.x;
      state = step.state;
      assertNear(out.parameters.arrays[0], Array.from(x.arrays[0]), `${kind} round ${r + 1}`, 1e-6);
    }
    assert.equal(strategy.serverState?.round, 2);
  }
  // FedAdagrad against the values stepped by hand in docs/federated-maths.md §3
  assertNear(cases[1][0].parameters.arrays[0], [1.0203789, -1.0175885], 'fedadagrad x2', 1e-6);
});

test('robust strategies: median, trimmed mean and Krum on hand-made updates, weights ignored', () => {
  const clients = ['a', 'b', 'c', 'd', 'e'].map((id, i) => client(id, 10 ** i)); // wildly different sizes
  const deltas = [[1, 10], [2, 20], [3, 30], [4.5, 45], [1000, -1000]];
  const results = deltas.map((d, i) => fit(clients[i].id, d, clients[i].numExamples));
  const run = (s: ServerStrategy) => {
    s.initialize(vec([0, 0]));
    planAll(s, 1, clients);
    return Array.from(s.aggregateFit(1, results, []).parameters.arrays[0]);
  };
  assert.deepEqual(run(fedMedian({ clientsPerRound: 5 })), [3, 20]);
  // β = 0.2 drops one value at each end of every coordinate: mean of (2, 3, 4.5) and (10, 20, 30)
  assertNear(run(fedTrimmedMean({ clientsPerRound: 5, beta: 0.2 })), [9.5 / 3, 20], 'trimmed');
  // meamed (β = 0.2 by default): drops the one value farthest from each median (1000 from 3, −1000 from 20), averages four
  assertNear(run(createStrategy('meamed', { clientsPerRound: 5 })), [10.5 / 4, 105 / 4], 'meamed');
  // f = 1: a score sums the 2 nearest squared distances: A 101 + 404, B 101 + 101, C 101 + 227.25, D 227.25 + 631.25
  assert.deepEqual(run(fedKrum({ clientsPerRound: 5, f: 1 })), [2, 20]);
  const multi = run(createStrategy('multikrum:1:3', { clientsPerRound: 5 }));
  assertNear(multi, [2, 20], 'multi-krum'); // the 3 best scores are B, C, A: mean of (1, 10), (2, 20), (3, 30)
  // "multikrum" with 5 per round: f = ⌊0.2 × 5⌋ = 1, averages all but the worst-scored (E): mean of A-D
  assertNear(run(createStrategy('multikrum', { clientsPerRound: 5 })), [10.5 / 4, 105 / 4], 'multikrum default');
  assert.throws(() => fedKrum({ clientsPerRound: 4, f: 1 }), /at least 5 updates per round/);
  // nearest-neighbour mixing first (f = ⌊0.2 × 5⌋ = 1): A-D each become the mean of A-D and E the mean of E, A, B, C
  // (robust.test.ts works the distances); the median and the trimmed mean of the mixed updates are then A-D's mean
  assertNear(run(createStrategy('nnm:median', { clientsPerRound: 5 })), [10.5 / 4, 105 / 4], 'nnm:median');
  assertNear(run(createStrategy('nnm:trimmed:0.2', { clientsPerRound: 5 })), [10.5 / 4, 105 / 4], 'nnm:trimmed');
});

test('failures and NaN updates: rejected, counted, and the survivors aggregated as the weights require', () => {
  const clients = [client('a', 1), client('b', 1), client('c', 2)];
  const s = fedAvg({ clientsPerRound: 3 });
  s.initialize(vec([0, 0]));
  planAll(s, 1, clients);
  const out = s.aggregateFit(
    1,
    [fit('a', [NaN, 1]), fit('c', [2, 2], 2), fit('zz', [5, 5]), { clientId: 'b', numExamples: 1, delta: vec([1, 1], 'other'), metrics: {} }],
    [{ clientId: 'x', reason: 'dropout' }],
  );
  assert.equal(out.metrics.rejectedNonFinite, 1);
  assert.equal(out.metrics.rejectedInvalid, 2, 'an unknown client and a wrong layout');
  assert.equal(out.metrics.failures, 1);
  assert.equal(out.metrics.clients, 1);
  assertNear(out.parameters.arrays[0], [2, 2], 'weights renormalised over the one survivor');
  // nothing usable: the model stays and the round is marked skipped
  planAll(s, 2, clients);
  const none = s.aggregateFit(2, [fit('a', [Infinity, 0])], []);
  assert.equal(none.metrics.skipped, 1);
  assert.deepEqual(Array.from(none.parameters.arrays[0]), [2, 2]);
  // Krum with too few surviving updates skips the round instead of throwing
  const k = fedKrum({ clientsPerRound: 5, f: 1 });
  k.initialize(vec([0]));
  planAll(k, 1, ['a', 'b', 'c', 'd', 'e'].map((id) => client(id, 1)));
  const skipped = k.aggregateFit(1, [fit('a', [1]), fit('b', [1])], []);
  assert.equal(skipped.metrics.skipped, 1);
  assert.throws(() => s.aggregateFit(9, [], []), /never planned/);
});

test('importance weights (activity τ < 1): one instruction per distinct client, Σ w·Δ over survivors, no renormalisation', () => {
  const clients = [client('a', 1), client('b', 3), client('c', 10)];
  const sampler = activitySampler(0.5);
  const s = fedAvg({ clientsPerRound: 6, sampler });
  s.initialize(vec([0]));
  const rng = new SeededRandom(42);
  const selection = sampler.sample(1, clients, 3, new SeededRandom(42)); // what the strategy will draw (k = min(6, 3))
  const ins = s.configureFit(1, clients, rng);
  const expectedWeight = new Map<string, number>();
  selection.clients.forEach((id, i) => expectedWeight.set(id, (expectedWeight.get(id) ?? 0) + selection.aggregationWeights[i]));
  assert.equal(ins.length, expectedWeight.size);
  assert.equal(ins.reduce((n, i) => n + i.draws, 0), 3);
  for (const i of ins) assertNear([i.weight], [expectedWeight.get(i.clientId)!], `weight of ${i.clientId}`);
  const deltaOf: Record<string, number> = { a: 5, b: -2, c: 1 };
  // the first instruction's client fails; the others contribute Σ w·Δ with their weights as drawn
  const survivors = ins.slice(1);
  const out = s.aggregateFit(1, survivors.map((i) => fit(i.clientId, [deltaOf[i.clientId]])), [{ clientId: ins[0].clientId, reason: 'error' }]);
  const expected = survivors.length
    ? weightedSum(survivors.map((i) => vec([deltaOf[i.clientId]])), survivors.map((i) => i.weight)).arrays[0][0]
    : 0;
  assertNear(out.parameters.arrays[0], [expected], 'Σ w·Δ');
});

test('client seeds depend on the round stream and the client, not on the order clients are listed', () => {
  const clients = ['c', 'a', 'd', 'b'].map((id, i) => client(id, i + 1));
  const s1 = fedAvg({ clientsPerRound: 2 });
  const s2 = fedAvg({ clientsPerRound: 2 });
  s1.initialize(vec([0]));
  s2.initialize(vec([0]));
  const i1 = s1.configureFit(3, clients, new SeededRandom(7));
  const i2 = s2.configureFit(3, clients.slice().reverse(), new SeededRandom(7));
  assert.deepEqual(i1.map((i) => [i.clientId, i.config.seed]), i2.map((i) => [i.clientId, i.config.seed]));
  assert.equal(new Set(i1.map((i) => i.config.seed)).size, 2);
  assert.throws(() => fedAvg({ clientsPerRound: 0 }), ConfigError);
  assert.throws(() => fedAvg({ clientsPerRound: 2, local: { learningRate: -1 } }), /learningRate/);
  assert.throws(() => fedAvg({ clientsPerRound: 2 }).parameters, /initialize/);
});

test('strategy specs: every valid form parses and builds; bad ones list the valid forms', () => {
  for (const text of ['fedavg', 'fedprox:0.01', 'fedavgm', 'fedadagrad', 'fedadam', 'fedyogi', 'median', 'trimmed:0.1', 'krum:1', 'multikrum:1:3', 'meamed', 'meamed:0.1', 'multikrum', 'nnm:median', 'nnm:trimmed:0.2', 'nnm:meamed']) {
    const s = createStrategy(text, { clientsPerRound: 6 });
    s.initialize(vec([0]));
    assert.ok(s.name.length > 0, text);
  }
  assert.deepEqual(parseStrategySpec('FedProx:0.5'), { kind: 'fedprox', mu: 0.5 });
  assert.deepEqual(parseStrategySpec('krum:2'), { kind: 'krum', f: 2, m: 1 });
  assert.deepEqual(parseStrategySpec('meamed'), { kind: 'meamed', beta: 0.2 });
  assert.deepEqual(parseStrategySpec('multikrum'), { kind: 'multikrum', byzantineFraction: 0.2 });
  assert.deepEqual(parseStrategySpec('meamed:0.3'), { kind: 'meamed', beta: 0.3 });
  assert.deepEqual(parseStrategySpec('nnm:trimmed:0.1'), { kind: 'nnm', byzantineFraction: 0.1, inner: { kind: 'trimmed', beta: 0.1 } });
  assert.deepEqual(parseStrategySpec('nnm:median'), { kind: 'nnm', byzantineFraction: 0.2, inner: { kind: 'median' } });
  for (const bad of ['fedsgd', 'fedprox', 'fedprox:-1', 'fedprox:x', 'trimmed:0.5', 'krum:1.5', 'fedavg:1', 'multikrum:1', 'meamed:0.5', 'meamed:0.1:2', 'meamed:', 'nnm', 'nnm:fedavg', 'nnm:krum:1', 'nnm:nnm:median', 'nnm:trimmed']) {
    assert.throws(() => parseStrategySpec(bad), (e: Error) => e instanceof ConfigError && e.message.includes(STRATEGY_FORMS.join(' | ')), bad);
  }
});
