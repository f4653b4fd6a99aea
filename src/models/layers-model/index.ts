/**
 * A user's tf.LayersModel inside trustnlu: run node by node with every parameter product
 * tapped (per-example gradients for makePrivate), as a PerExampleModel; wrapped with a
 * tokenizer as a trustnlu text model; and the TensorFlow.js Layers format in and out
 * (exporting any trustnlu model, loading a model.json directory).
 */
export { TappedLayersModel, allLayers, namedLoss, LOSS_NAMES, type LayersBatch, type LossName, type PerExampleLossFunction, type TappedLayersModelOptions } from './tapped-model.js';
export { registerLayerForward, layerClassesWithForward, unfoldWindows, type ForwardEnv, type LayerForward } from './forwards.js';
export { runGraph, ensureBuilt, type GraphEnv } from './graph.js';
import './file-router.js'; // model.save('file://...') and tf.loadLayersModel('file://...') in Node without tfjs-node
export { registerFileRouter } from './file-router.js';
export { embeddingInputOf, type EmbeddingInput } from './embedding-input.js';
export { layersModelDigest, layersModelSnapshot, layersModelFromTopology, restoreLayersModel, seededTopology, type LayersModelSnapshot } from './clone.js';
export { toLayersModel, type LayersModelMetadata } from './export.js';
export {
  LAYERS_MODEL_FILE,
  LAYERS_TOKENIZER_FILE,
  LAYERS_WEIGHTS_FILE,
  exportLayersModel,
  isLayersModelPath,
  layersDirHandler,
  layersDirSaveHandler,
  layersModelDir,
  loadLayersModelDir,
  readLayersWeights,
  readTokenizerFile,
  writeLayersModelDir,
  type LoadedLayersModel,
  type WriteLayersOptions,
} from './io.js';
export { LayersClassifier, LayersLanguageModel, wrapLayersModel, wrapOptionsFromMetadata, type LayersModelConfig, type LayersTextModel, type WrapLayersModelOptions } from './adapter.js';
