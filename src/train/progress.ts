/**
 * Progress for long work: a bar on a TTY, JSON lines on stderr with --json, plain lines
 * otherwise. Progress never goes to stdout, which carries the one result object.
 */
import cliProgress from 'cli-progress';

export interface ProgressReporter {
  /** Begins a phase of `total` units (e.g. steps of an epoch). */
  start(phase: string, total: number): void;
  /** Advances to `done` units with optional fields shown beside the bar. */
  update(done: number, fields?: Record<string, number | string>): void;
  stop(): void;
  /** A discrete event (epoch finished, checkpoint saved ...). */
  event(name: string, fields: Record<string, unknown>): void;
}

export const SILENT: ProgressReporter = {
  start() {},
  update() {},
  stop() {},
  event() {},
};

export class JsonLinesProgress implements ProgressReporter {
  private phase = '';
  private total = 0;
  private lastEmit = 0;
  constructor(private readonly stream: NodeJS.WritableStream = process.stderr, private readonly everyMs = 2000) {}
  start(phase: string, total: number): void {
    this.phase = phase;
    this.total = total;
    this.lastEmit = Date.now();
    this.write({ event: 'start', phase, total });
  }
  update(done: number, fields: Record<string, number | string> = {}): void {
    const now = Date.now();
    if (now - this.lastEmit < this.everyMs && done < this.total) return;
    this.lastEmit = now;
    this.write({ event: 'progress', phase: this.phase, done, total: this.total, ...fields });
  }
  stop(): void {}
  event(name: string, fields: Record<string, unknown>): void {
    this.write({ event: name, ...fields });
  }
  private write(obj: Record<string, unknown>): void {
    this.stream.write(`${JSON.stringify(obj)}\n`);
  }
}

export class TtyProgress implements ProgressReporter {
  private bar: cliProgress.SingleBar | undefined;
  start(phase: string, total: number): void {
    this.stop();
    this.bar = new cliProgress.SingleBar(
      { format: `${phase.padEnd(14)} [{bar}] {value}/{total} {info}`, stream: process.stderr, hideCursor: true, clearOnComplete: false },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(total, 0, { info: '' });
  }
  update(done: number, fields: Record<string, number | string> = {}): void {
    this.bar?.update(done, { info: formatFields(fields) });
  }
  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
  event(name: string, fields: Record<string, unknown>): void {
    this.stop();
    process.stderr.write(`${name}: ${formatFields(fields)}\n`);
  }
}

/** Non-TTY, non-JSON: one line per event, no bar. */
export class PlainProgress implements ProgressReporter {
  start(): void {}
  update(): void {}
  stop(): void {}
  event(name: string, fields: Record<string, unknown>): void {
    process.stderr.write(`${name}: ${formatFields(fields)}\n`);
  }
}

function formatFields(fields: Record<string, unknown>): string {
  return Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? (Number.isInteger(v) ? v : v.toPrecision(4)) : String(v)}`)
    .join(' ');
}

/** The reporter a CLI command should use. */
export function progressFor(options: { json?: boolean; quiet?: boolean }): ProgressReporter {
  if (options.quiet) return SILENT;
  if (options.json) return new JsonLinesProgress();
  return process.stderr.isTTY ? new TtyProgress() : new PlainProgress();
}
