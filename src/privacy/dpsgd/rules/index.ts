/**
 * Per-sample gradient rules by tap rule name (dense, embedding, layernorm, and generic: the
 * per-example loop for a layer without a rule), and the registry to add more. A tfjs Dense,
 * Conv1D (unfolded), LSTM and GRU (their gate products) are dense records, as are the
 * built-in models' dense, convolution, attention and LSTM layers: one rule serves them all.
 */
import { registerPerSampleRule } from './registry.js';
import { denseRule } from './dense.js';
import { embeddingRule } from './embedding.js';
import { layerNormRule } from './layer-norm.js';
import { genericRule } from './generic.js';

registerPerSampleRule('dense', denseRule);
registerPerSampleRule('embedding', embeddingRule);
registerPerSampleRule('layernorm', layerNormRule);
registerPerSampleRule('generic', genericRule);

export * from './registry.js';
export { denseRule, chooseSequencePath, sequenceCosts } from './dense.js';
export { embeddingRule, embeddingSquaredNorms, firstOccurrenceSegments } from './embedding.js';
export { layerNormRule } from './layer-norm.js';
export { genericRule } from './generic.js';
