/**
 * A user's tf.LayersModel inside trustnlu: run node by node with every parameter product
 * tapped (per-example gradients for makePrivate), as a PerExampleModel.
 */
export { TappedLayersModel, allLayers, namedLoss, LOSS_NAMES, type LayersBatch, type LossName, type PerExampleLossFunction, type TappedLayersModelOptions } from './tapped-model.js';
export { registerLayerForward, layerClassesWithForward, unfoldWindows, type ForwardEnv, type LayerForward } from './forwards.js';
export { runGraph, ensureBuilt, type GraphEnv } from './graph.js';
