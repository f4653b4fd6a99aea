/**
 * Optimisers over named parameters: SGD (with momentum), Adam and AdamW (decoupled weight
 * decay, Loshchilov & Hutter 2019). They take a gradient per parameter name, so any
 * gradient source (plain backprop, DP-SGD's noisy clipped sum) can drive them. Their
 * state is a list of named arrays, saved with a checkpoint for exact resume.
 */
import { tf, type NamedWeight } from '../engine/index.js';
import { ConfigError } from '../errors.js';
import type { NamedParameter } from '../models/index.js';

export const OPTIMIZER_NAMES = ['sgd', 'adam', 'adamw'] as const;
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];

export interface OptimizerOptions {
  name: OptimizerName;
  /** SGD momentum (default 0.9; 0 = plain SGD). */
  momentum?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** AdamW decoupled weight decay (default 0.01); ignored by sgd and adam. */
  weightDecay?: number;
}

export interface Optimizer {
  readonly name: OptimizerName;
  /** Applies one update with learning rate `lr`; grads maps parameter name → gradient. */
  step(params: NamedParameter[], grads: Map<string, tf.Tensor>, lr: number): void;
  /** Number of updates applied so far. */
  readonly steps: number;
  getState(): { steps: number; slots: NamedWeight[] };
  setState(state: { steps: number; slots: NamedWeight[] }): void;
  dispose(): void;
}

class SlotStore {
  readonly slots = new Map<string, tf.Variable>();
  get(key: string, like: tf.Variable): tf.Variable {
    let v = this.slots.get(key);
    if (!v) {
      v = tf.variable(tf.zerosLike(like), false);
      this.slots.set(key, v);
    }
    return v;
  }
  export(): NamedWeight[] {
    return [...this.slots.entries()].map(([name, v]) => ({ name, shape: v.shape, values: v.dataSync() as Float32Array }));
  }
  import(weights: NamedWeight[]): void {
    this.dispose();
    for (const w of weights) this.slots.set(w.name, tf.variable(tf.tensor(w.values, w.shape), false));
  }
  dispose(): void {
    for (const v of this.slots.values()) v.dispose();
    this.slots.clear();
  }
}

/**
 * The options with every default filled in (weight decay 0 unless adamw), the name checked:
 * one place for both implementations (this tensor one and data-parallel's host-optimizer.ts).
 */
export function resolveOptimizerOptions(options: OptimizerOptions): Required<OptimizerOptions> {
  const { name } = options;
  if (!(OPTIMIZER_NAMES as readonly string[]).includes(name)) {
    throw new ConfigError(`unknown optimizer "${name}": choose one of ${OPTIMIZER_NAMES.join(', ')}`);
  }
  return {
    name,
    momentum: options.momentum ?? 0.9,
    beta1: options.beta1 ?? 0.9,
    beta2: options.beta2 ?? 0.999,
    epsilon: options.epsilon ?? 1e-8,
    weightDecay: name === 'adamw' ? options.weightDecay ?? 0.01 : 0,
  };
}

export function createOptimizer(options: OptimizerOptions): Optimizer {
  const { name, momentum, beta1, beta2, epsilon, weightDecay } = resolveOptimizerOptions(options);
  const slots = new SlotStore();
  let steps = 0;

  return {
    name,
    get steps() {
      return steps;
    },
    step(params, grads, lr) {
      steps++;
      tf.tidy(() => {
        for (const p of params) {
          const g = grads.get(p.name);
          if (!g) continue;
          const v = p.variable;
          if (name === 'sgd') {
            if (momentum > 0) {
              const m = slots.get(`${p.name}/momentum`, v);
              m.assign(tf.add(tf.mul(m, momentum), g));
              v.assign(tf.sub(v, tf.mul(m, lr)));
            } else {
              v.assign(tf.sub(v, tf.mul(g, lr)));
            }
            continue;
          }
          const m = slots.get(`${p.name}/m`, v);
          const s = slots.get(`${p.name}/v`, v);
          m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
          s.assign(tf.add(tf.mul(s, beta2), tf.mul(tf.square(g), 1 - beta2)));
          const mHat = tf.div(m, 1 - beta1 ** steps);
          const sHat = tf.div(s, 1 - beta2 ** steps);
          let update = tf.div(mHat, tf.add(tf.sqrt(sHat), epsilon));
          if (weightDecay > 0 && v.rank > 1) update = tf.add(update, tf.mul(v, weightDecay)); // no decay on biases/norms
          v.assign(tf.sub(v, tf.mul(update, lr)));
        }
      });
    },
    getState() {
      return { steps, slots: slots.export() };
    },
    setState(state) {
      steps = state.steps;
      slots.import(state.slots);
    },
    dispose() {
      slots.dispose();
    },
  };
}

export const SCHEDULES = ['constant', 'linear', 'cosine'] as const;
export type ScheduleName = (typeof SCHEDULES)[number];

/**
 * Learning rate at `step` (0-based) of `totalSteps`: linear warm-up over `warmupSteps`,
 * then constant, linear decay to 0, or cosine decay to 0.
 */
export function learningRateAt(schedule: ScheduleName, base: number, step: number, totalSteps: number, warmupSteps = 0): number {
  if (warmupSteps > 0 && step < warmupSteps) return (base * (step + 1)) / warmupSteps;
  if (schedule === 'constant') return base;
  const span = Math.max(1, totalSteps - warmupSteps);
  const progress = Math.min(1, (step - warmupSteps) / span);
  if (schedule === 'linear') return base * (1 - progress);
  return base * 0.5 * (1 + Math.cos(Math.PI * progress));
}
