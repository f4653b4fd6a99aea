/**
 * Server optimisers: how the global model x moves given the aggregated pseudo-gradient
 * Δ = mean of client deltas (client model − global model, so Δ points downhill).
 *
 * FedAdagrad, FedAdam and FedYogi follow Algorithm 2 of Reddi et al. 2021, "Adaptive
 * Federated Optimization" (ICLR), coordinate-wise, with no bias correction:
 *   m_t = β₁·m_{t−1} + (1 − β₁)·Δ_t                              (m_{−1} = 0)
 *   v_t = v_{t−1} + Δ_t²                                          FedAdagrad
 *   v_t = v_{t−1} − (1 − β₂)·Δ_t²·sign(v_{t−1} − Δ_t²)            FedYogi
 *   v_t = β₂·v_{t−1} + (1 − β₂)·Δ_t²                              FedAdam
 *   x_{t+1} = x_t + η·m_t / (√v_t + τ)
 * with v_{−1} = τ² (the paper requires v_{−1} ≥ τ²; Flower starts from 0, pass
 * `initialV: 0` to match it).
 *
 * FedAvgM (Hsu, Qi & Brown 2019, "Measuring the effects of non-identical data distribution
 * for federated visual classification"): u_t = μ·u_{t−1} + Δ_t, x_{t+1} = x_t + η·u_t.
 * FedAvg: x_{t+1} = x_t + η·Δ_t (η = 1 is plain model averaging).
 *
 * All functions are pure: inputs are never modified; the new x and state are fresh arrays.
 * Arithmetic is in double per coordinate, stored as float32.
 */
import { ConfigError, NonFiniteError } from '../../errors.js';
import { assertFinite, assertSameLayout, filledLike, zerosLike, type ParameterSet } from './parameters.js';

export type ServerOptimizerKind = 'fedavg' | 'fedavgm' | 'fedadagrad' | 'fedadam' | 'fedyogi';

export interface ServerHyperparameters {
  /** η, the server learning rate. */
  fedavg: { eta: number };
  /** η and the momentum μ ∈ [0, 1). */
  fedavgm: { eta: number; momentum: number };
  /** β₁ ∈ [0, 1) (default 0.9), τ > 0 (default 1e-3). */
  fedadagrad: { eta: number; beta1?: number; tau?: number };
  /** β₁, β₂ ∈ [0, 1) (defaults 0.9, 0.99), τ > 0 (default 1e-3). */
  fedadam: { eta: number; beta1?: number; beta2?: number; tau?: number };
  fedyogi: { eta: number; beta1?: number; beta2?: number; tau?: number };
}

/** Defaults for the optional hyper-parameters (Flower's current FedOpt defaults, β's as in Reddi et al.). */
export const SERVER_OPTIMIZER_DEFAULTS = { beta1: 0.9, beta2: 0.99, tau: 1e-3 } as const;

export interface ServerOptimizerState {
  /** Rounds stepped so far. */
  round: number;
  /** First moment m (FedAdagrad/FedAdam/FedYogi) or momentum buffer u (FedAvgM). */
  m?: ParameterSet;
  /** Second moment v (FedAdagrad/FedAdam/FedYogi). */
  v?: ParameterSet;
}

export interface ServerStepResult {
  x: ParameterSet;
  state: ServerOptimizerState;
}

const KINDS: readonly ServerOptimizerKind[] = ['fedavg', 'fedavgm', 'fedadagrad', 'fedadam', 'fedyogi'];

interface Resolved {
  eta: number;
  beta1: number;
  beta2: number;
  tau: number;
  momentum: number;
}

function resolve<K extends ServerOptimizerKind>(kind: K, hyper: ServerHyperparameters[K]): Resolved {
  if (!KINDS.includes(kind)) {
    throw new ConfigError(`serverStep: unknown optimiser "${kind}"; use one of ${KINDS.join(', ')}`);
  }
  if (hyper === null || typeof hyper !== 'object') {
    throw new ConfigError(`serverStep(${kind}): hyper-parameters must be an object with at least eta`);
  }
  const h = hyper as Partial<Resolved>;
  const r: Resolved = {
    eta: h.eta as number,
    beta1: h.beta1 ?? SERVER_OPTIMIZER_DEFAULTS.beta1,
    beta2: h.beta2 ?? SERVER_OPTIMIZER_DEFAULTS.beta2,
    tau: h.tau ?? SERVER_OPTIMIZER_DEFAULTS.tau,
    momentum: h.momentum as number,
  };
  if (typeof r.eta !== 'number' || !Number.isFinite(r.eta) || r.eta <= 0) {
    throw new ConfigError(`serverStep(${kind}): eta (server learning rate) must be finite and > 0, got ${h.eta}`);
  }
  if (kind === 'fedavgm' && (typeof r.momentum !== 'number' || !(r.momentum >= 0 && r.momentum < 1))) {
    throw new ConfigError(`serverStep(fedavgm): momentum must be in [0, 1), got ${h.momentum}`);
  }
  if (kind === 'fedadagrad' || kind === 'fedadam' || kind === 'fedyogi') {
    if (!(r.beta1 >= 0 && r.beta1 < 1)) throw new ConfigError(`serverStep(${kind}): beta1 must be in [0, 1), got ${r.beta1}`);
    if (kind !== 'fedadagrad' && !(r.beta2 >= 0 && r.beta2 < 1)) {
      throw new ConfigError(`serverStep(${kind}): beta2 must be in [0, 1), got ${r.beta2}`);
    }
    if (!(r.tau > 0) || !Number.isFinite(r.tau)) {
      throw new ConfigError(`serverStep(${kind}): tau (adaptivity) must be finite and > 0, got ${r.tau}`);
    }
  }
  return r;
}

/**
 * State before the first round: round 0, m = 0 and, for the adaptive optimisers,
 * v = `initialV` (default τ², the smallest value Reddi et al. allow).
 */
export function initServerState<K extends ServerOptimizerKind>(
  kind: K,
  x: ParameterSet,
  hyper: ServerHyperparameters[K],
  options: { initialV?: number } = {},
): ServerOptimizerState {
  const r = resolve(kind, hyper);
  if (kind === 'fedavg') return { round: 0 };
  if (kind === 'fedavgm') return { round: 0, m: zerosLike(x) };
  const v0 = options.initialV ?? r.tau * r.tau;
  if (!(v0 >= 0) || !Number.isFinite(v0)) {
    throw new ConfigError(`initServerState(${kind}): initialV must be finite and ≥ 0, got ${v0}`);
  }
  return { round: 0, m: zerosLike(x), v: filledLike(x, v0) };
}

/**
 * One server round: returns the new global model and state; `x`, `delta` and `state` are
 * left untouched. `delta` is the aggregated pseudo-gradient (e.g. weightedMean of client
 * deltas). A state made for another optimiser or layout throws a clear error.
 */
export function serverStep<K extends ServerOptimizerKind>(
  kind: K,
  state: ServerOptimizerState,
  x: ParameterSet,
  delta: ParameterSet,
  hyper: ServerHyperparameters[K],
): ServerStepResult {
  const r = resolve(kind, hyper);
  assertSameLayout(x, delta, `serverStep(${kind}): delta`);
  assertFinite(delta, `serverStep(${kind}): delta`);
  if (!state || !Number.isInteger(state.round) || state.round < 0) {
    throw new ConfigError(`serverStep(${kind}): state must come from initServerState (got round ${state?.round})`);
  }
  const needsM = kind !== 'fedavg';
  const needsV = kind === 'fedadagrad' || kind === 'fedadam' || kind === 'fedyogi';
  if (needsM) {
    if (!state.m) throw new ConfigError(`serverStep(${kind}): state has no first moment m; create it with initServerState("${kind}", ...)`);
    assertSameLayout(x, state.m, `serverStep(${kind}): state.m`);
  }
  if (needsV) {
    if (!state.v) throw new ConfigError(`serverStep(${kind}): state has no second moment v; create it with initServerState("${kind}", ...)`);
    assertSameLayout(x, state.v, `serverStep(${kind}): state.v`);
  }

  const newX: Float32Array[] = [];
  const newM: Float32Array[] = [];
  const newV: Float32Array[] = [];
  for (let t = 0; t < x.arrays.length; t++) {
    const xt = x.arrays[t];
    const dt = delta.arrays[t];
    const d = xt.length;
    const xo = new Float32Array(d);
    if (kind === 'fedavg') {
      for (let j = 0; j < d; j++) xo[j] = xt[j] + r.eta * dt[j];
    } else if (kind === 'fedavgm') {
      const mt = state.m!.arrays[t];
      const mo = new Float32Array(d);
      for (let j = 0; j < d; j++) {
        const u = r.momentum * mt[j] + dt[j];
        mo[j] = u;
        xo[j] = xt[j] + r.eta * u;
      }
      newM.push(mo);
    } else {
      const mt = state.m!.arrays[t];
      const vt = state.v!.arrays[t];
      const mo = new Float32Array(d);
      const vo = new Float32Array(d);
      const b1 = r.beta1;
      const b2 = r.beta2;
      for (let j = 0; j < d; j++) {
        const g = dt[j];
        const g2 = g * g;
        const m = b1 * mt[j] + (1 - b1) * g;
        const vPrev = vt[j];
        let v: number;
        if (kind === 'fedadagrad') v = vPrev + g2;
        else if (kind === 'fedadam') v = b2 * vPrev + (1 - b2) * g2;
        else v = vPrev - (1 - b2) * g2 * Math.sign(vPrev - g2);
        mo[j] = m;
        vo[j] = v;
        xo[j] = xt[j] + (r.eta * m) / (Math.sqrt(v) + r.tau);
      }
      newM.push(mo);
      newV.push(vo);
    }
    newX.push(xo);
  }
  const names = x.names.slice();
  const next: ServerOptimizerState = { round: state.round + 1 };
  if (needsM) next.m = { names: names.slice(), arrays: newM };
  if (needsV) next.v = { names: names.slice(), arrays: newV };
  const out = { names, arrays: newX };
  const bad = out.arrays.findIndex((a) => !allFinite(a));
  if (bad >= 0) {
    throw new NonFiniteError(
      `serverStep(${kind}): the new global tensor "${names[bad]}" is not finite (round ${state.round}); check eta and the magnitude of delta`,
    );
  }
  return { x: out, state: next };
}

function allFinite(a: Float32Array): boolean {
  let probe = 0;
  // x·0 is 0 for finite x and NaN otherwise
  for (let j = 0; j < a.length; j++) probe += a[j] * 0;
  return probe === 0;
}
