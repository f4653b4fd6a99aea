/**
 * The server as a child process for the kill -9 tests: start `trustnlu fl serve` with given
 * flags and wait for its "listening" event, kill it hard, and name the phase of a test that hangs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const BIN = join(process.cwd(), 'bin', 'trustnlu.js');

/**
 * Flags of a loopback test server that many test clients join freely: open enrolment, no
 * limits on enrolments and connections from one address, and example-count weights (so the
 * tests can check the weighted mean).
 */
export const OPEN_TEST_FEDERATION = ['--enrolment', 'open', '--enrol-rate-limit', '10000', '--max-connections-per-address', '10000', '--max-weight', '1000000'];

/** `trustnlu fl serve ARGS --port 0 --json` (an open test federation, OPEN_TEST_FEDERATION); resolves with its URL once it listens. */
export function startServer(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [BIN, 'fl', 'serve', ...OPEN_TEST_FEDERATION, ...args, '--port', '0', '--json'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 60_000);
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      stderr += chunk;
      const m = /"event":"listening","url":"([^"]+)"/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1] });
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
  });
}

export function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** `promise`, or a failure naming the phase that hung (instead of the test's silent timeout). */
export function phase<T>(name: string, ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`phase "${name}" did not finish within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
