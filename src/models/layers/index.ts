/** Layers with parameters; each records its input and taps its pre-activation output. */
export { Dense } from './dense.js';
export { Embedding } from './embedding.js';
export { CharComposedEmbedding, MAX_TOKEN_CHARS } from './char-embedding.js';
export { LayerNorm } from './layer-norm.js';
export { MultiHeadSelfAttention, causalBias } from './attention.js';
export { LSTM } from './lstm.js';
export { Conv1d } from './conv1d.js';
export { ParameterStore, glorotUniform } from './parameters.js';
export type { NamedParameter } from './parameters.js';
export { INFERENCE, dropout } from './context.js';
export type { ForwardContext } from './context.js';
