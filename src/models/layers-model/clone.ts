/**
 * Copies of a user's tf.LayersModel made elsewhere: in a worker thread, or as fresh models of
 * the same architecture. A model travels as plain data, its topology (model.json's
 * modelTopology) and, when its weights matter, every weight's values; tf.models.modelFromJSON
 * rebuilds it (trustnlu/layers registered, so its own layer classes deserialise). LiRA's
 * shadows are fresh clones (seededTopology: new weights drawn from a seed); the federated
 * simulator's workers rebuild the user's model with its weights (LayersModelSnapshot).
 *
 * A layer class of the user's own is known only where the user registered it: in a worker
 * it is an "Unknown layer", and the error says to run in this thread (workers 0).
 */
import { tf } from '../../engine/index.js';
import { ConfigError } from '../../errors.js';
import '../../layers/index.js';

/** A model as plain data: its topology and all its weights (model.weights order, values concatenated). */
export interface LayersModelSnapshot {
  topology: object;
  weights: Float32Array;
}

export function layersModelSnapshot(model: tf.LayersModel): LayersModelSnapshot {
  const nonFloat = model.weights.find((w) => w.dtype !== 'float32');
  if (nonFloat) throw new ConfigError(`model "${model.name}": weight "${nonFloat.originalName}" is ${nonFloat.dtype}; only float32 weights can be copied`);
  const values = model.weights.map((w) => w.read().dataSync() as Float32Array);
  const weights = new Float32Array(values.reduce((n, v) => n + v.length, 0));
  let offset = 0;
  for (const v of values) {
    weights.set(v, offset);
    offset += v.length;
  }
  return { topology: model.toJSON(null, false) as object, weights };
}

/** The architecture of `topology`, with fresh weights from its initialisers. `why` names the use in errors. */
export async function layersModelFromTopology(topology: object, why: string): Promise<tf.LayersModel> {
  try {
    return await tf.models.modelFromJSON({ modelTopology: topology } as unknown as tf.io.ModelJSON);
  } catch (e) {
    const message = (e as Error).message;
    const hint = /Unknown layer/.test(message) ? ' (a custom layer class registered in your process is unknown to worker threads: run in this thread, workers: 0 / --workers 0)' : '';
    throw new ConfigError(`cannot rebuild the model's architecture ${why}: ${message}${hint}`);
  }
}

/** The snapshot's model, weights and all. */
export async function restoreLayersModel(snapshot: LayersModelSnapshot, why: string): Promise<tf.LayersModel> {
  const model = await layersModelFromTopology(snapshot.topology, why);
  const total = model.weights.reduce((n, w) => n + w.shape.reduce((p: number, d) => p * (d ?? 1), 1), 0);
  if (total !== snapshot.weights.length) {
    model.dispose();
    throw new ConfigError(`cannot restore the model ${why}: its architecture has ${total} weight values, the snapshot ${snapshot.weights.length}`);
  }
  let offset = 0;
  const tensors = model.weights.map((w) => {
    const size = w.shape.reduce((p: number, d) => p * (d ?? 1), 1);
    const t = tf.tensor(snapshot.weights.subarray(offset, offset + size), w.shape as number[], 'float32');
    offset += size;
    return t;
  });
  model.setWeights(tensors);
  tf.dispose(tensors);
  return model;
}

/**
 * A copy of a topology whose weight initialisers are seeded: every initialiser (the value of a
 * "..._initializer" field) with a "seed" field gets one derived from `seed`, in document order,
 * so a clone's initial weights are a function of its job's seed. Layers' own seeds (Dropout's)
 * are left alone: a seeded dropout would draw the same mask at every step.
 */
export function seededTopology(topology: object, seed: number): object {
  const copy = JSON.parse(JSON.stringify(topology)) as object;
  let k = 0;
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    if (!node || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
      const config = (value as { config?: Record<string, unknown> } | null)?.config;
      if (key.endsWith('_initializer') && config && typeof config === 'object' && 'seed' in config) {
        config.seed = (Math.imul(seed + 1, 2654435761) + 40503 * ++k) >>> 1;
      }
      visit(value);
    }
  };
  visit(copy);
  return copy;
}

/**
 * SHA-256 (hex) of a model's topology (its JSON, UTF-8) followed by its weights' bytes: how a
 * federation names a user's model, so a client holding another model.json (other weights or
 * architecture) is told so before it trains, and a server restarted with another model does not
 * resume the old federation. WebCrypto, so Node and the browser client compute the same.
 */
export async function layersModelDigest(snapshot: LayersModelSnapshot): Promise<string> {
  const topology = new TextEncoder().encode(JSON.stringify(snapshot.topology));
  const weights = new Uint8Array(snapshot.weights.buffer, snapshot.weights.byteOffset, snapshot.weights.byteLength);
  const bytes = new Uint8Array(topology.byteLength + weights.byteLength);
  bytes.set(topology, 0);
  bytes.set(weights, topology.byteLength);
  const hash = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bytes));
  return Array.from(hash, (b) => b.toString(16).padStart(2, '0')).join('');
}
