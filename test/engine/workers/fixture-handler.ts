/**
 * A job handler for the pool tests (plain JS, no tfjs): scales arrays, sleeps, throws,
 * exits the worker, reports its thread id.
 */
import { threadId } from 'node:worker_threads';
import { ConfigError } from '../../../src/errors.js';

let factor = 1;
let initCount = 0;

export type FixtureJob =
  | { op: 'scale'; values: Float32Array; delayMs?: number }
  | { op: 'throw'; message: string; plain?: boolean }
  | { op: 'exit'; code: number }
  | { op: 'whoami'; delayMs?: number }
  | { op: 'read-shared'; values: Float32Array };

export function init(config: { factor: number; failInit?: boolean }): void {
  if (config.failInit) throw new ConfigError('fixture init refused: failInit was set');
  factor = config.factor;
  initCount++;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function handle(job: FixtureJob): Promise<unknown> {
  switch (job.op) {
    case 'scale': {
      if (job.delayMs) await sleep(job.delayMs);
      const out = new Float32Array(job.values.length);
      for (let i = 0; i < out.length; i++) out[i] = job.values[i] * factor;
      return { values: out, threadId };
    }
    case 'throw':
      if (job.plain) throw new RangeError(job.message);
      throw new ConfigError(job.message);
    case 'exit':
      process.exit(job.code);
    case 'whoami':
      if (job.delayMs) await sleep(job.delayMs);
      return { threadId, initCount };
    case 'read-shared': {
      let sum = 0;
      for (const v of job.values) sum += v;
      return { sum, shared: job.values.buffer instanceof SharedArrayBuffer };
    }
  }
}
