/**
 * What a partition looks like, in numbers: client count, size quantiles and the mean label
 * entropy of the clients (in bits). Entropy H = −Σ_y p(y)·log₂ p(y) over a client's label
 * distribution: 0 when a client holds one label, log₂(#labels) when its labels are
 * uniform; the mean is over non-empty clients. Lower means more label skew.
 */
import { ConfigError } from '../../errors.js';
import { assertValidPartition, type Label, type Partition } from './partition.js';

export interface SizeQuantiles {
  min: number;
  p10: number;
  p50: number;
  p90: number;
  max: number;
}

export interface PartitionSummary {
  clients: number;
  /** Indices covered by some client. */
  examples: number;
  /** Client sizes; quantiles by linear interpolation (numpy's default). */
  sizeQuantiles: SizeQuantiles;
  /** Mean over non-empty clients of the label entropy in bits; null without labels. */
  meanLabelEntropy: number | null;
  /** log₂ of the number of distinct labels among covered examples: the entropy ceiling. */
  maxLabelEntropy: number | null;
  emptyClients: number;
}

/** Linear-interpolation quantile of ascending `sorted` (numpy's default "linear" method). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** Shannon entropy in bits of the labels at `indices`. */
export function labelEntropy(indices: readonly number[], labels: readonly Label[]): number {
  if (indices.length === 0) return 0;
  const counts = new Map<Label, number>();
  for (const i of indices) counts.set(labels[i], (counts.get(labels[i]) ?? 0) + 1);
  let h = 0;
  for (const c of counts.values()) {
    const p = c / indices.length;
    h -= p * Math.log2(p);
  }
  return h;
}

export function summarizePartition(partition: Partition, labels?: readonly Label[]): PartitionSummary {
  if (!partition || !Array.isArray(partition.clients) || partition.clients.length === 0) {
    throw new ConfigError('summarizePartition: the partition has no clients');
  }
  let bound = 0;
  for (const c of partition.clients) for (const i of c.indices) if (i + 1 > bound) bound = i + 1;
  if (labels !== undefined && labels.length < bound) {
    throw new ConfigError(`summarizePartition: the partition uses index ${bound - 1} but only ${labels.length} labels were given`);
  }
  const examples = assertValidPartition(partition, labels?.length ?? bound);
  const sizes = partition.clients.map((c) => c.indices.length).sort((a, b) => a - b);
  const nonEmpty = partition.clients.filter((c) => c.indices.length > 0);
  let meanLabelEntropy: number | null = null;
  let maxLabelEntropy: number | null = null;
  if (labels !== undefined) {
    meanLabelEntropy = nonEmpty.length ? nonEmpty.reduce((s, c) => s + labelEntropy(c.indices, labels), 0) / nonEmpty.length : 0;
    const seen = new Set<Label>();
    for (const c of nonEmpty) for (const i of c.indices) seen.add(labels[i]);
    maxLabelEntropy = seen.size > 0 ? Math.log2(seen.size) : 0;
  }
  return {
    clients: partition.clients.length,
    examples,
    sizeQuantiles: {
      min: sizes[0],
      p10: quantile(sizes, 0.1),
      p50: quantile(sizes, 0.5),
      p90: quantile(sizes, 0.9),
      max: sizes[sizes.length - 1],
    },
    meanLabelEntropy,
    maxLabelEntropy,
    emptyClients: partition.clients.length - nonEmpty.length,
  };
}

const round1 = (x: number): string => (Number.isInteger(x) ? String(x) : x.toFixed(1));

/** One line for logs, e.g. "100 clients, 15000 examples; size min 12 p10 80 p50 150 p90 230 max 400; label entropy 2.31 of 7.23 bits; 0 empty". */
export function formatPartitionSummary(summary: PartitionSummary): string {
  const q = summary.sizeQuantiles;
  const entropy =
    summary.meanLabelEntropy === null
      ? 'no labels'
      : `label entropy ${summary.meanLabelEntropy.toFixed(2)} of ${summary.maxLabelEntropy!.toFixed(2)} bits`;
  return (
    `${summary.clients} clients, ${summary.examples} examples; ` +
    `size min ${round1(q.min)} p10 ${round1(q.p10)} p50 ${round1(q.p50)} p90 ${round1(q.p90)} max ${round1(q.max)}; ` +
    `${entropy}; ${summary.emptyClients} empty`
  );
}
