/**
 * Timing for the DP speed benchmark's cases (speed-benchmark.ts, layers-speed-benchmark.ts):
 * modes timed step by step on the same batches, their order alternating so that drifting
 * machine load favours none, after warm-up steps; the slow naive loop on a few of them.
 */
import { quantileSorted } from '../../metrics/index.js';

export const median = (values: number[]): number => quantileSorted([...values].sort((a, b) => a - b), 0.5);

/** A mode's step and the wall and CPU milliseconds of its timed calls. */
export interface TimedMode<Batch> {
  run(batch: Batch): void;
  wall: number[];
  /** This process, all threads (so a noise worker counts), user + system. */
  cpu: number[];
}

export function timedMode<Batch>(run: (batch: Batch) => void): TimedMode<Batch> {
  return { run, wall: [], cpu: [] };
}

function timeOnce<Batch>(mode: TimedMode<Batch>, batch: Batch): void {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  mode.run(batch);
  mode.wall.push(performance.now() - t0);
  const c = process.cpuUsage(c0);
  mode.cpu.push((c.user + c.system) / 1000);
}

/**
 * Two warm-up steps of every mode and one of the naive loop, then `steps` timed steps: the
 * modes in order on even steps and in reverse on odd ones, the naive loop on `naiveSteps`
 * of them spread over the run. `afterWarmUp` may clear per-phase records.
 */
export function timeAlternating<Batch>(
  options: { steps: number; naiveSteps: number },
  batchAt: () => Batch,
  modes: TimedMode<Batch>[],
  naive: TimedMode<Batch>,
  afterWarmUp: () => void = () => {},
): void {
  for (let w = 0; w < 2; w++) {
    const batch = batchAt();
    for (const mode of modes) mode.run(batch);
  }
  naive.run(batchAt());
  afterWarmUp();
  for (let s = 0; s < options.steps; s++) {
    const batch = batchAt();
    for (const mode of s % 2 === 0 ? modes : [...modes].reverse()) timeOnce(mode, batch);
    if (naive.wall.length < options.naiveSteps && s % Math.max(1, Math.floor(options.steps / options.naiveSteps)) === 0) timeOnce(naive, batch);
  }
}
