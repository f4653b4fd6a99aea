/**
 * Running a user's tf.LayersModel from its embedded tokens instead of its token ids: what the
 * white-box measures need (APS differentiates the class probabilities with respect to the
 * embedded input; canary extraction optimises a relaxed input in that space). The model's
 * first Embedding layer is where the ids enter; the interpreter runs the graph with that
 * layer's output replaced by the given embedded tokens.
 *
 * A model qualifies when its first layer with weights is an Embedding that reads the model's
 * ids input directly, is called once, and nothing else reads the ids except trustnlu's
 * PaddingMask (which only asks which positions are padding). Those other readers get stand-in
 * ids built from the mask (1 at a real position, the padding id 0 elsewhere), which give them
 * exactly what the real ids would; so does an Embedding with maskZero. Anything else reading
 * the ids (a second Embedding, a Lambda) is refused by name: replacing the embedding alone
 * would then not be the model's computation.
 */
import { tf } from '../../engine/index.js';
import { ConfigError } from '../../errors.js';
import { PAD_ID } from '../../text/index.js';
import { isModel } from './graph.js';
import { allLayers } from './tapped-model.js';

/** Layers that may read the ids besides the Embedding: they use only "is this position padding". */
const PADDING_READERS: readonly string[] = ['PaddingMask'];

export interface EmbeddingInput {
  /** The Embedding layer the ids enter through. */
  layer: tf.layers.Layer;
  /** Its table [vocabulary, dimension] (the live variable's value). */
  table(): tf.Tensor2D;
}

interface GraphNode {
  outboundLayer: tf.layers.Layer;
  inputTensors: tf.SymbolicTensor[];
}

/** The layers (nested models walked into) that read any of `inputs` directly. */
function readersOf(model: tf.LayersModel, inputs: Set<number>): tf.layers.Layer[] {
  const nodes = (model as unknown as { nodesByDepth?: Record<string, GraphNode[]> }).nodesByDepth ?? {};
  const out: tf.layers.Layer[] = [];
  for (const depth of Object.keys(nodes)) {
    for (const node of nodes[depth]) {
      const layer = node.outboundLayer;
      if (layer.getClassName() === 'InputLayer' || !node.inputTensors.some((t) => inputs.has(t.id))) continue;
      if (isModel(layer)) out.push(...readersOf(layer, new Set((layer as unknown as { inputs: tf.SymbolicTensor[] }).inputs.map((t) => t.id))));
      else out.push(layer);
    }
  }
  return out;
}

/** The model's Embedding entry, or a ConfigError saying why the model cannot run from embeddings. */
export function embeddingInputOf(model: tf.LayersModel): EmbeddingInput {
  const what = `model "${model.name}"`;
  const need = 'APS, canary extraction and embedding association tests need the token ids to enter through an Embedding layer';
  const weighted = allLayers(model).filter((l) => l.weights.length > 0);
  const first = weighted[0];
  if (!first) throw new ConfigError(`${what} has no layer with weights; ${need}`);
  if (first.getClassName() !== 'Embedding') {
    throw new ConfigError(`${what}: its first layer with weights is "${first.name}" (${first.getClassName()}), not an Embedding; ${need} (its first layer with weights)`);
  }
  if (first.inboundNodes.length !== 1) {
    throw new ConfigError(`${what}: Embedding "${first.name}" is called ${first.inboundNodes.length} times; ${need} called once, on the model's ids`);
  }
  const inputs = (model as unknown as { inputs: tf.SymbolicTensor[] }).inputs;
  if (inputs.length !== 1) throw new ConfigError(`${what} takes ${inputs.length} inputs; ${need} from its one input of token ids`);
  const readers = readersOf(model, new Set([inputs[0].id]));
  if (!readers.includes(first)) {
    throw new ConfigError(`${what}: Embedding "${first.name}" does not read the model's ids input directly (a layer sits between them); ${need} straight from the ids`);
  }
  const others = readers.filter((l) => l !== first && !PADDING_READERS.includes(l.getClassName()));
  if (others.length > 0) {
    throw new ConfigError(`${what}: layer "${others[0].name}" (${others[0].getClassName()}) also reads the token ids; ${need} alone (besides padding masks)`);
  }
  const embeddings = (first as unknown as { embeddings: tf.LayerVariable }).embeddings;
  return { layer: first, table: () => embeddings.read() as tf.Tensor2D };
}

/**
 * Embedded tokens [B, T, D] and their mask [B, T] fitted to a fixed input length: cut, or padded
 * with the padding id's own embedding row (what the model sees for padded ids) and mask 0.
 */
export function fitEmbeddedLength(embedded: tf.Tensor3D, mask: tf.Tensor2D, table: tf.Tensor2D, length: number | null): { embedded: tf.Tensor3D; mask: tf.Tensor2D } {
  const T = embedded.shape[1];
  if (length === null || T === length) return { embedded, mask };
  if (T > length) return { embedded: tf.slice(embedded, [0, 0, 0], [-1, length, -1]), mask: tf.slice(mask, [0, 0], [-1, length]) };
  const [B, , D] = embedded.shape;
  const paddingRow = tf.reshape(tf.slice(table, [PAD_ID, 0], [1, D]), [1, 1, D]);
  return {
    embedded: tf.concat([embedded, tf.tile(paddingRow, [B, length - T, 1])], 1) as tf.Tensor3D,
    mask: tf.concat([mask, tf.zeros([B, length - T])], 1) as tf.Tensor2D,
  };
}

/** Ids that tell the padding readers (and an Embedding's maskZero) what the real ids would: 1 at a real position, the padding id elsewhere. */
export function standInIds(mask: tf.Tensor2D): tf.Tensor2D {
  return tf.cast(tf.greater(mask, 0), 'int32') as tf.Tensor2D;
}
