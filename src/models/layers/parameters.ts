/**
 * Named trainable parameters. tfjs variable names are global to the engine, so we let
 * tfjs name its variables and keep our own stable, model-scoped names ("encoder/0/attn/qkv/kernel").
 */
import { tf, SeededRandom } from '../../engine/index.js';
import { ShapeMismatchError } from '../../errors.js';

export interface NamedParameter {
  name: string;
  variable: tf.Variable;
}

export class ParameterStore {
  private readonly byName = new Map<string, tf.Variable>();
  readonly ordered: NamedParameter[] = [];

  add(name: string, values: Float32Array, shape: number[]): tf.Variable {
    if (this.byName.has(name)) throw new Error(`parameter "${name}" defined twice`);
    const size = shape.reduce((a, b) => a * b, 1);
    if (values.length !== size) throw new ShapeMismatchError(`parameter "${name}": ${values.length} values for shape [${shape}]`);
    const v = tf.variable(tf.tensor(values, shape, 'float32'), true);
    this.byName.set(name, v);
    this.ordered.push({ name, variable: v });
    return v;
  }

  /** Registers an existing variable (a tf.LayersModel's weight) under `name`; the store then owns it. */
  adopt(name: string, variable: tf.Variable): void {
    if (this.byName.has(name)) throw new Error(`parameter "${name}" defined twice`);
    this.byName.set(name, variable);
    this.ordered.push({ name, variable });
  }

  get(name: string): tf.Variable {
    const v = this.byName.get(name);
    if (!v) throw new Error(`no parameter named "${name}"`);
    return v;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** Replaces values by name; every name must exist with the same shape. */
  assign(values: { name: string; shape: number[]; values: Float32Array }[]): void {
    for (const w of values) {
      const v = this.byName.get(w.name);
      if (!v) throw new ShapeMismatchError(`weight "${w.name}" is not a parameter of this model`);
      if (v.shape.join(',') !== w.shape.join(',')) {
        throw new ShapeMismatchError(`weight "${w.name}": shape [${w.shape}] does not match the model's [${v.shape}]`);
      }
      tf.tidy(() => v.assign(tf.tensor(w.values, w.shape, 'float32')));
    }
  }

  /** A host copy of every parameter, in the form `assign` takes back. */
  snapshot(): { name: string; shape: number[]; values: Float32Array }[] {
    return this.ordered.map(({ name, variable }) => ({ name, shape: [...variable.shape], values: (variable.dataSync() as Float32Array).slice() }));
  }

  count(): number {
    return this.ordered.reduce((n, p) => n + p.variable.size, 0);
  }

  dispose(): void {
    for (const p of this.ordered) p.variable.dispose();
  }
}

/** Glorot/Xavier uniform: U(±sqrt(6 / (fanIn + fanOut))). */
export function glorotUniform(rng: SeededRandom, fanIn: number, fanOut: number): Float32Array {
  return rng.uniformArray(fanIn * fanOut, Math.sqrt(6 / (fanIn + fanOut)));
}
