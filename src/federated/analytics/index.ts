/**
 * Private federated analytics: what users say and how the model fares, without collecting
 * utterances. Heavy hitters by an interactive prefix tree with central DP through secure
 * aggregation (TrieHH-style), Apple's Count Mean Sketch as the local-DP baseline, and DP
 * histograms of label counts and of a per-device statistic. See docs/federated-open-problems.md.
 */
export { AnalyticsRandom, type NoiseSource } from './analytics-random.js';
export * from './items.js';
export * from './gaussian-calibration.js';
export * from './distributed-noise.js';
export { sumContributions, type Aggregation, type SecureSumOptions, type SparseContribution } from './secure-sum.js';
export * from './trie-rounds.js';
export * from './trie-heavy-hitters.js';
export * from './count-mean-sketch.js';
export * from './dp-histogram.js';
export * from './device-data.js';
export * from './heavy-hitters.js';
