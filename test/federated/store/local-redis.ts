/**
 * A throw-away redis-server for tests: a free loopback port, its own temporary directory,
 * no RDB snapshots, the append-only file on (appendfsync always for the durability tests),
 * stopped (and its directory removed) by `stop()`. Never a system service.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REDIS_SERVER = '/usr/bin/redis-server';
export const REDIS_MISSING = 'redis-server not installed: apt-get install redis-server';

export function redisInstalled(): boolean {
  return existsSync(REDIS_SERVER);
}

export interface LocalRedis {
  url: string;
  port: number;
  dir: string;
  child: ChildProcess;
  /** kill -9 the server (its append-only file stays in `dir`). */
  crash(): Promise<void>;
  /** Starts it again on the same port and directory (after crash()). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

function launch(port: number, dir: string, appendfsync: string): Promise<ChildProcess> {
  const child = spawn(
    REDIS_SERVER,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', appendfsync, '--dir', dir, '--daemonize', 'no', '--loglevel', 'notice'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  live.add(child);
  child.once('exit', () => live.delete(child));
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start on port ${port}:\n${output}`)), 15_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (/Ready to accept connections/.test(output)) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        resolve(child);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code} before it was ready:\n${output}`));
    });
  });
}

function exited(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

export async function startLocalRedis(options: { appendfsync?: 'always' | 'everysec' } = {}): Promise<LocalRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'trustnlu-redis-'));
  const port = await freePort();
  const appendfsync = options.appendfsync ?? 'everysec';
  const server: LocalRedis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    child: await launch(port, dir, appendfsync),
    crash: () => exited(server.child, 'SIGKILL'),
    restart: async () => {
      server.child = await launch(port, dir, appendfsync);
    },
    stop: async () => {
      await exited(server.child, 'SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}
