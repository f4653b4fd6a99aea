/**
 * The optimisers of optimizers.ts (SGD with momentum, Adam, AdamW) applied to parameters
 * held in plain float32 arrays (data-parallel training keeps them in shared memory): one
 * fused pass over each parameter instead of a dozen whole-array tensor operations, each of
 * which allocates its result (for a 600k-parameter model that is most of an Adam step on
 * wasm). Same update rules, hyper-parameters and state format (slot names `p/m`, `p/v`,
 * `p/momentum`), so a checkpoint's optimizer state resumes with either implementation.
 */
import type { NamedWeight } from '../../engine/index.js';
import { flatViews, type FlatLayout } from '../../engine/workers/index.js';
import { resolveOptimizerOptions, type OptimizerName, type OptimizerOptions } from '../optimizers.js';

export interface HostOptimizer {
  readonly name: OptimizerName;
  readonly steps: number;
  /** One update of the parameters in place; grads maps parameter name → gradient (a parameter without one is left alone). */
  step(grads: Map<string, Float32Array>, lr: number): void;
  getState(): { steps: number; slots: NamedWeight[] };
  setState(state: { steps: number; slots: NamedWeight[] }): void;
  dispose(): void;
}

export function createHostOptimizer(options: OptimizerOptions, layout: FlatLayout, parameters: Float32Array): HostOptimizer {
  const { name, momentum, beta1, beta2, epsilon, weightDecay } = resolveOptimizerOptions(options);
  const params = flatViews(layout, parameters);
  const shapes = new Map(layout.names.map((n, k) => [n, layout.shapes[k]]));
  const slots = new Map<string, Float32Array>();
  const slot = (key: string, size: number): Float32Array => {
    let s = slots.get(key);
    if (!s) slots.set(key, (s = new Float32Array(size)));
    return s;
  };
  let steps = 0;

  return {
    name,
    get steps() {
      return steps;
    },
    step(grads, lr) {
      steps++;
      const c1 = 1 - beta1 ** steps;
      const c2 = 1 - beta2 ** steps;
      for (const [pname, v] of params) {
        const g = grads.get(pname);
        if (!g) continue;
        const n = v.length;
        if (name === 'sgd') {
          if (momentum > 0) {
            const m = slot(`${pname}/momentum`, n);
            for (let i = 0; i < n; i++) {
              m[i] = m[i] * momentum + g[i];
              v[i] -= m[i] * lr;
            }
          } else {
            for (let i = 0; i < n; i++) v[i] -= g[i] * lr;
          }
          continue;
        }
        const m = slot(`${pname}/m`, n);
        const s = slot(`${pname}/v`, n);
        const decay = weightDecay > 0 && shapes.get(pname)!.length > 1 ? weightDecay : 0; // no decay on biases/norms
        const mScale = 1 / c1;
        const sScale = 1 / c2;
        for (let i = 0; i < n; i++) {
          const gi = g[i];
          const mi = (m[i] = Math.fround(m[i] * beta1 + gi * (1 - beta1)));
          const si = (s[i] = Math.fround(s[i] * beta2 + gi * gi * (1 - beta2)));
          v[i] -= ((mi * mScale) / (Math.sqrt(si * sScale) + epsilon) + v[i] * decay) * lr;
        }
      }
    },
    getState() {
      return { steps, slots: [...slots.entries()].map(([key, values]) => ({ name: key, shape: shapes.get(key.slice(0, key.lastIndexOf('/')))!, values: values.slice() })) };
    },
    setState(state) {
      steps = state.steps;
      slots.clear();
      for (const w of state.slots) slots.set(w.name, Float32Array.from(w.values));
    },
    dispose() {
      slots.clear();
    },
  };
}
