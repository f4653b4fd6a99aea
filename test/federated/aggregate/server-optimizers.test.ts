import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, ShapeMismatchError } from '../../../src/errors.js';
import {
  initServerState,
  serverStep,
  type ParameterSet,
  type ServerHyperparameters,
  type ServerOptimizerKind,
} from '../../../src/federated/aggregate/index.js';

function vec(values: number[]): ParameterSet {
  return { names: ['w'], arrays: [Float32Array.from(values)] };
}

function assertNear(actual: ArrayLike<number>, expected: number[], what: string): void {
  assert.equal(actual.length, expected.length);
  for (let j = 0; j < expected.length; j++) {
    const tol = 1e-6 * Math.max(1, Math.abs(expected[j]));
    assert.ok(Math.abs(actual[j] - expected[j]) <= tol, `${what}[${j}]: got ${actual[j]}, expected ${expected[j]}`);
  }
}

// Two rounds from x0 = (1, −1) with pseudo-gradients Δ1 = (0.5, −0.2), Δ2 = (0.1, 0.01);
// η = 0.1, β1 = 0.9, β2 = 0.99, τ = 0.01, v_{−1} = τ² = 1e−4, m_{−1} = 0.
const X0 = [1, -1];
const D1 = [0.5, -0.2];
const D2 = [0.1, 0.01];
const HYPER = { eta: 0.1, beta1: 0.9, beta2: 0.99, tau: 0.01 };

interface Expected {
  m: number[];
  v: number[];
  x: number[];
}

function twoSteps(kind: 'fedadagrad' | 'fedadam' | 'fedyogi'): Expected[] {
  const x0 = vec(X0);
  let state = initServerState(kind, x0, HYPER);
  let x = x0;
  const out: Expected[] = [];
  for (const d of [D1, D2]) {
    const step = serverStep(kind, state, x, vec(d), HYPER);
    x = step.x;
    state = step.state;
    out.push({ m: Array.from(state.m!.arrays[0]), v: Array.from(state.v!.arrays[0]), x: Array.from(x.arrays[0]) });
  }
  assert.equal(state.round, 2);
  return out;
}

// m is the same for all three: m1 = 0.1·Δ1 = (0.05, −0.02); m2 = 0.9·m1 + 0.1·Δ2 = (0.055, −0.017).

test('FedAdagrad: two rounds stepped by hand', () => {
  // v1 = 1e−4 + Δ1² = (0.2501, 0.0401); x1 = x0 + 0.1·m1/(√v1 + 0.01)
  //    x1[0] = 1 + 0.005/(0.50010 + 0.01) = 1.0098020, x1[1] = −1 − 0.002/(0.200250 + 0.01) = −1.0095125
  // v2 = v1 + Δ2² = (0.2601, 0.0402); x2[0] = x1[0] + 0.0055/(0.5100 + 0.01) = 1.0203789
  //    x2[1] = x1[1] − 0.0017/(0.200499 + 0.01) = −1.0175885
  const [s1, s2] = twoSteps('fedadagrad');
  assertNear(s1.m, [0.05, -0.02], 'm1');
  assertNear(s1.v, [0.2501, 0.0401], 'v1');
  assertNear(s1.x, [1.00980199980004, -1.0095124921972505], 'x1');
  assertNear(s2.m, [0.055, -0.017], 'm2');
  assertNear(s2.v, [0.2601, 0.0402], 'v2');
  assertNear(s2.x, [1.020378922876963, -1.0175885256173995], 'x2');
});

test('FedAdam: two rounds stepped by hand', () => {
  // v1 = 0.99·1e−4 + 0.01·Δ1² = (0.002599, 0.000499)
  //    x1[0] = 1 + 0.005/(√0.002599 + 0.01) = 1 + 0.005/0.0609804 = 1.0819936
  //    x1[1] = −1 − 0.002/(√0.000499 + 0.01) = −1 − 0.002/0.0323383 = −1.0618462
  // v2 = 0.99·v1 + 0.01·Δ2² = (0.00267301, 0.00049501)
  //    x2[0] = x1[0] + 0.0055/(0.0517011 + 0.01) = 1.1711329; x2[1] = x1[1] − 0.0017/(0.0222488 + 0.01) = −1.1145613
  const [s1, s2] = twoSteps('fedadam');
  assertNear(s1.v, [0.002599, 0.000499], 'v1');
  assertNear(s1.x, [1.0819935742019278, -1.0618461549057077], 'x1');
  assertNear(s2.m, [0.055, -0.017], 'm2');
  assertNear(s2.v, [0.00267301, 0.00049501], 'v2');
  assertNear(s2.x, [1.1711329024233819, -1.1145612616848957], 'x2');
});

test('FedYogi: two rounds stepped by hand, including a decrease of v (sign +1)', () => {
  // round 1: v0 = 1e−4 < Δ1² in both coordinates → sign −1 → v1 = v0 + 0.01·Δ1² = (0.0026, 0.0005)
  //    x1[0] = 1 + 0.005/(0.0509902 + 0.01) = 1.0819804; x1[1] = −1 − 0.002/(0.0223607 + 0.01) = −1.0618034
  // round 2: coordinate 0: v1 = 0.0026 < Δ2² = 0.01 → sign −1 → v2 = 0.0026 + 0.0001 = 0.0027
  //          coordinate 1: v1 = 0.0005 > Δ2² = 0.0001 → sign +1 → v2 = 0.0005 − 0.000001 = 0.000499
  //    x2[0] = x1[0] + 0.0055/(0.0519615 + 0.01) = 1.1707452; x2[1] = x1[1] − 0.0017/(0.0223383 + 0.01) = −1.1143726
  // (FedAdam's v2[1] would be 0.00049501: the two differ exactly where the sign flips.)
  const [s1, s2] = twoSteps('fedyogi');
  assertNear(s1.v, [0.0026, 0.0005], 'v1');
  assertNear(s1.x, [1.0819803902718557, -1.0618033988749895], 'x1');
  assertNear(s2.v, [0.0027, 0.000499], 'v2');
  assertNear(s2.x, [1.1707451530598805, -1.114372630544841], 'x2');
});

test('FedAvgM and FedAvg: two rounds by hand', () => {
  // FedAvgM, η = 0.5, μ = 0.9: u1 = Δ1 = (0.5, −0.2), x1 = x0 + 0.5·u1 = (1.25, −1.1)
  //   u2 = 0.9·u1 + Δ2 = (0.55, −0.17), x2 = x1 + 0.5·u2 = (1.525, −1.185)
  const h = { eta: 0.5, momentum: 0.9 };
  let state = initServerState('fedavgm', vec(X0), h);
  let step = serverStep('fedavgm', state, vec(X0), vec(D1), h);
  assertNear(step.x.arrays[0], [1.25, -1.1], 'x1');
  state = step.state;
  step = serverStep('fedavgm', state, step.x, vec(D2), h);
  assertNear(step.state.m!.arrays[0], [0.55, -0.17], 'u2');
  assertNear(step.x.arrays[0], [1.525, -1.185], 'x2');
  // FedAvg with η = 1 is model averaging: x + Δ
  const avg = serverStep('fedavg', initServerState('fedavg', vec(X0), { eta: 1 }), vec(X0), vec(D1), { eta: 1 });
  assertNear(avg.x.arrays[0], [1.5, -1.2], 'fedavg x1');
});

test('serverStep is pure: inputs are unchanged', () => {
  const x = vec(X0);
  const d = vec(D1);
  const state = initServerState('fedadam', x, HYPER);
  serverStep('fedadam', state, x, d, HYPER);
  assert.deepEqual(Array.from(x.arrays[0]), X0);
  assert.deepEqual(Array.from(d.arrays[0]), D1.map(Math.fround));
  assert.deepEqual(Array.from(state.m!.arrays[0]), [0, 0]);
  assert.equal(state.round, 0);
});

test('serverStep rejects bad hyper-parameters, foreign states and layouts', () => {
  const x = vec(X0);
  const bad: [ServerOptimizerKind, object][] = [
    ['fedadam', { eta: 0 }],
    ['fedadam', { eta: 0.1, beta1: 1 }],
    ['fedyogi', { eta: 0.1, beta2: -0.1 }],
    ['fedadagrad', { eta: 0.1, tau: 0 }],
    ['fedavgm', { eta: 1, momentum: 1 }],
  ];
  for (const [kind, h] of bad) {
    assert.throws(() => initServerState(kind, x, h as ServerHyperparameters[typeof kind]), ConfigError, `${kind} ${JSON.stringify(h)}`);
  }
  const avgState = initServerState('fedavg', x, { eta: 1 });
  assert.throws(() => serverStep('fedadam', avgState, x, vec(D1), HYPER), /no first moment/);
  assert.throws(() => serverStep('fedavg', avgState, x, vec([1, 2, 3]), { eta: 1 }), ShapeMismatchError);
  assert.throws(() => serverStep('fedavg', avgState, x, vec([1, Number.NaN]), { eta: 1 }), /NaN at index 1/);
  // Flower's convention v_{−1} = 0 is available
  assert.deepEqual(Array.from(initServerState('fedadam', x, HYPER, { initialV: 0 }).v!.arrays[0]), [0, 0]);
});
