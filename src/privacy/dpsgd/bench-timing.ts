/**
 * Timing for the DP speed benchmark's cases (speed-benchmark.ts, layers-speed-benchmark.ts):
 * modes timed step by step on the same batches, their order alternating so that drifting
 * machine load favours none, after warm-up steps; the slow naive loop on a few of them.
 */
import { quantileSorted } from '../../metrics/index.js';

export const median = (values: number[]): number => quantileSorted([...values].sort((a, b) => a - b), 0.5);

/** A mode's step (synchronous, or asynchronous for data-parallel modes) and the wall and CPU milliseconds of its timed calls. */
export interface TimedMode<Batch> {
  run(batch: Batch): void | Promise<void>;
  wall: number[];
  /** This process, all threads (so the noise worker and engine workers count), user + system. */
  cpu: number[];
}

export function timedMode<Batch>(run: (batch: Batch) => void | Promise<void>): TimedMode<Batch> {
  return { run, wall: [], cpu: [] };
}

async function timeOnce<Batch>(mode: TimedMode<Batch>, batch: Batch): Promise<void> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await mode.run(batch);
  mode.wall.push(performance.now() - t0);
  const c = process.cpuUsage(c0);
  mode.cpu.push((c.user + c.system) / 1000);
}

/**
 * Two warm-up steps of every mode and one of the naive loop, then `steps` timed steps: the
 * modes in order on even steps and in reverse on odd ones, the naive loop on `naiveSteps`
 * of them spread over the run (and on extra batches after it when there are fewer steps
 * than naive steps, so the naive loop always gets its `naiveSteps` timed steps).
 * `afterWarmUp` may clear per-phase records.
 */
export async function timeAlternating<Batch>(
  options: { steps: number; naiveSteps: number },
  batchAt: () => Batch,
  modes: TimedMode<Batch>[],
  naive: TimedMode<Batch>,
  afterWarmUp: () => void = () => {},
): Promise<void> {
  for (let w = 0; w < 2; w++) {
    const batch = batchAt();
    for (const mode of modes) await mode.run(batch);
  }
  await naive.run(batchAt());
  afterWarmUp();
  const every = Math.max(1, Math.floor(options.steps / Math.max(1, options.naiveSteps)));
  for (let s = 0; s < options.steps; s++) {
    const batch = batchAt();
    for (const mode of s % 2 === 0 ? modes : [...modes].reverse()) await timeOnce(mode, batch);
    if (naive.wall.length < options.naiveSteps && s % every === 0) await timeOnce(naive, batch);
  }
  while (naive.wall.length < options.naiveSteps) await timeOnce(naive, batchAt());
}

/** The noise worker's CPU ms per fill (one per DP step) between two readings; null when unknown. */
export function noiseCpuPerStep(before: { fills: number; cpuMs: number } | undefined, after: { fills: number; cpuMs: number } | undefined): number | null {
  if (!before || !after || after.fills <= before.fills || !Number.isFinite(after.cpuMs)) return null;
  return Number(((after.cpuMs - before.cpuMs) / (after.fills - before.fills)).toFixed(1));
}
