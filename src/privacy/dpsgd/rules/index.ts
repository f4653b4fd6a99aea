/** Per-sample gradient rules by tap rule name (dense, embedding, layernorm), and the registry to add more. */
import { registerPerSampleRule } from './registry.js';
import { denseRule } from './dense.js';
import { embeddingRule } from './embedding.js';
import { layerNormRule } from './layer-norm.js';

registerPerSampleRule('dense', denseRule);
registerPerSampleRule('embedding', embeddingRule);
registerPerSampleRule('layernorm', layerNormRule);

export * from './registry.js';
export { denseRule, chooseSequencePath, sequenceCosts } from './dense.js';
export { embeddingRule, embeddingSquaredNorms, firstOccurrenceSegments } from './embedding.js';
export { layerNormRule } from './layer-norm.js';
