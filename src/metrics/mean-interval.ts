/**
 * The mean of a few values (seeds, runs) with the half-width of its Student-t interval:
 * t_{confidence, n−1} · s / √n, s the sample standard deviation; no interval with one value.
 */
import { studentTQuantile } from './special-functions.js';

export function meanTInterval(values: readonly number[], confidence = 0.95): { mean: number; half: number | null } {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, half: null };
  const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  return { mean, half: studentTQuantile(confidence, n - 1) * (sd / Math.sqrt(n)) };
}
