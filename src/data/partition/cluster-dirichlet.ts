/**
 * FedNLP's "embedding clustering" partition (Lin et al. 2022, "FedNLP: benchmarking
 * federated learning methods for natural language processing tasks"): cluster the
 * examples' sentence embeddings with k-means, then treat the cluster ids as labels and
 * split them with the Dirichlet label partition. Useful when labels are absent or too few
 * to skew on (e.g. language modelling), and it skews topics rather than classes.
 */
import type { SeededRandom } from '../../engine/random.js';
import { dirichletLabelPartition, type DirichletLabelOptions } from './dirichlet-label.js';
import { kmeans, toEmbeddingMatrix, type Embeddings, type KMeansOptions } from './kmeans.js';
import { assertClientCount, assertConcentration, type Partition } from './partition.js';

export interface ClusterDirichletOptions extends DirichletLabelOptions, KMeansOptions {}

export interface ClusterPartition extends Partition {
  /** k-means cluster of each example (the "labels" the Dirichlet split used). */
  clusterOf: number[];
  /** k-means within-cluster sum of squares and whether Lloyd's iterations converged. */
  inertia: number;
  kmeansConverged: boolean;
}

export function clusterDirichletPartition(
  vectors: Embeddings,
  numClusters: number,
  numClients: number,
  alpha: number,
  rng: SeededRandom,
  options: ClusterDirichletOptions = {},
): ClusterPartition {
  const matrix = toEmbeddingMatrix(vectors, 'clusterDirichletPartition: embeddings');
  // check cheap arguments before paying for k-means
  assertClientCount('clusterDirichletPartition', numClients, matrix.n);
  assertConcentration('clusterDirichletPartition', 'alpha', alpha);
  const clusters = kmeans({ dim: matrix.dim, data: matrix.data }, numClusters, rng, options);
  const partition = dirichletLabelPartition(clusters.assignments, numClients, alpha, rng, options);
  const notes = [...(partition.notes ?? [])];
  if (!clusters.converged) notes.push(`k-means stopped at the iteration cap (${clusters.iterations}) before converging`);
  return {
    clients: partition.clients,
    ...(notes.length ? { notes } : {}),
    clusterOf: clusters.assignments,
    inertia: clusters.inertia,
    kmeansConverged: clusters.converged,
  };
}
