/**
 * Evaluation reports summed under secure aggregation (the SecAgg+ session the simulator's
 * training rounds use, run in process): each client masks its moment vector, the server
 * unmasks only the sum, and the ratio estimates come from that sum alone.
 */
import { runSecureAggregation } from '../secagg/index.js';
import { checkReport, momentVector, momentsFromSum, type ClientEvaluationReport, type RatioMetric, type ReportLimits } from './client-report.js';
import type { RatioMoments } from './ratio-estimator.js';

export interface SecureEvaluationSum {
  moments: Map<string, RatioMoments>;
  /** Clients whose vectors are in the sum. */
  clients: number;
  /** Fixed-point step of the session (each summed value is off by at most K·step/2, before unscaling). */
  precision: number;
  /** Values beyond the range ±1 that were clipped (0 for honest clients within the limits). */
  clippedValues: number;
  seconds: number;
}

export async function secureEvaluationSum(
  reports: readonly ClientEvaluationReport[],
  metrics: readonly RatioMetric[],
  limits: ReportLimits,
  options: { neighbours?: number } = {},
): Promise<SecureEvaluationSum> {
  const started = performance.now();
  for (const report of reports) checkReport(report, limits);
  const inputs = reports.map((r) => momentVector(r, metrics, limits));
  let clippedValues = 0;
  for (const x of inputs) for (const v of x) if (Math.abs(v) > 1) clippedValues++;
  const result = await runSecureAggregation({ inputs, range: 1, ...(options.neighbours !== undefined ? { neighbours: options.neighbours } : {}) });
  const clients = result.included.length;
  return {
    moments: momentsFromSum(result.values, clients, metrics, limits),
    clients,
    precision: 2 ** -result.encoding.fractionalBits,
    clippedValues,
    seconds: (performance.now() - started) / 1000,
  };
}
