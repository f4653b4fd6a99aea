/**
 * trustnlu's tfjs layers (the `trustnlu/layers` entry point): the layers trustnlu's exported
 * models use that tfjs does not have — multi-head self-attention, learned position
 * embeddings, a padding mask, masked mean/max pooling, end padding — registered with
 * tf.serialization under the package name "trustnlu", so that after
 *
 *     import '@tensorflow/tfjs';
 *     import 'trustnlu/layers';
 *
 * plain `tf.loadLayersModel` loads any model trustnlu exported. Also TapOps, the interface
 * through which a layer's parameter products become per-example-gradient taps.
 *
 * Browser-safe: no node: imports, and tfjs is the caller's own copy (a peer dependency),
 * which is why this folder imports '@tensorflow/tfjs' directly rather than trustnlu's engine
 * (whose checkpoint I/O needs node:fs).
 */
import * as tf from '@tensorflow/tfjs';
import { EndPadding1D, MaskedMaxPooling, MaskedMeanPooling, PaddingMask } from './text-layers.js';
import { MultiHeadSelfAttention, PositionEmbedding } from './attention-layers.js';

export const LAYERS_PACKAGE = 'trustnlu';

const CLASSES = [PaddingMask, MaskedMeanPooling, MaskedMaxPooling, EndPadding1D, PositionEmbedding, MultiHeadSelfAttention];

/** Registers the layer classes with tf.serialization (idempotent; runs when this module loads). */
export function registerTrustnluLayers(): void {
  for (const cls of CLASSES) tf.serialization.registerClass(cls as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>, LAYERS_PACKAGE);
}

registerTrustnluLayers();

export { EndPadding1D, MaskedMaxPooling, MaskedMeanPooling, PaddingMask, type LayerArgs } from './text-layers.js';
export { MultiHeadSelfAttention, PositionEmbedding } from './attention-layers.js';
export { PLAIN_OPS, denseProduct, isTapOpsLayer, viewOf, type DenseView, type TapOps, type TapOpsLayer } from './tap-ops.js';
