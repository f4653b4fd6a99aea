/**
 * Federated data partitions: pure functions from labels, keys or embeddings (plus a
 * SeededRandom) to `{ clients: { id, indices }[] }`. IID, Dirichlet label skew (with size
 * balancing and a minimum size), quantity skew, embedding-cluster skew, natural groups,
 * continual (per-period) splits, and a summary (size quantiles, label entropy) to print.
 * Formulas and conventions: docs/federated-maths.md.
 */
export {
  type Partition,
  type PartitionClient,
  type Label,
  clientIds,
  distinctLabels,
  assertValidPartition,
  splitEvenly,
  largestRemainder,
} from './partition.js';
export { sampleDirichlet, sampleSymmetricDirichlet } from './dirichlet.js';
export { iidPartition } from './iid.js';
export { type DirichletLabelOptions, dirichletLabelPartition, indicesByLabel } from './dirichlet-label.js';
export { quantitySkewPartition } from './quantity-skew.js';
export {
  type EmbeddingMatrix,
  type Embeddings,
  type KMeansOptions,
  type KMeansResult,
  kmeans,
  toEmbeddingMatrix,
} from './kmeans.js';
export { type ClusterDirichletOptions, type ClusterPartition, clusterDirichletPartition } from './cluster-dirichlet.js';
export { type NaturalPartitionOptions, type NaturalPartition, naturalPartition } from './natural.js';
export {
  type ContinualClient,
  type ContinualPartition,
  type StorageOptions,
  continualSplit,
  continualSplitByTime,
  continualSplitByPeriod,
  domainPeriods,
  storedAt,
  partitionAt,
} from './continual.js';
export {
  type SizeQuantiles,
  type PartitionSummary,
  quantile,
  labelEntropy,
  summarizePartition,
  formatPartitionSummary,
} from './summary.js';
