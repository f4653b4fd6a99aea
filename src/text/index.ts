/** Text: tokenisers and vocabularies (word, char) and batching with padding masks. */
export * from './tokenizer.js';
export * from './batch.js';
