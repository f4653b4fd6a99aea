/**
 * The heavy parts (the federated service's HTTP server and stores, the report's chart
 * renderer, the Redis job queue) use packages a library user need not install: they are optional peer dependencies.
 * They are loaded on first use, and a missing one is one line that names the package, the
 * version and what needs it, never a module-resolution stack trace.
 */
import { createRequire } from 'node:module';
import { TrustnluError } from './errors.js';

/** An optional package is not installed. Exit code 2: the user can fix it with one install. */
export class MissingDependencyError extends TrustnluError {
  override readonly exitCode = 2;
}

/** The versions trustnlu is tested with (package.json's peerDependencies). */
export const OPTIONAL_DEPENDENCIES = {
  fastify: '5.12.8',
  '@fastify/swagger': '9.9.3',
  'better-sqlite3': '12.11.1',
  bullmq: '6.7.6',
  ioredis: '6.0.0',
  vega: '6.4.0',
  'vega-lite': '6.4.3',
} as const;

export type OptionalDependency = keyof typeof OPTIONAL_DEPENDENCIES;

function isNotFound(error: unknown, name: string): boolean {
  const e = error as { code?: string; message?: string };
  return (e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND') && String(e.message ?? '').includes(name);
}

/** Imports an optional package, or throws MissingDependencyError saying how to install it. */
export async function importOptional<T>(name: OptionalDependency, forWhat: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch (error) {
    if (isNotFound(error, name)) {
      throw new MissingDependencyError(`${forWhat} needs the optional package ${name}: npm install ${name}@${OPTIONAL_DEPENDENCIES[name]}`);
    }
    throw error;
  }
}

/** Loads an optional CommonJS package synchronously (constructors that cannot wait), or says how to install it. */
export function requireOptional<T>(name: OptionalDependency, forWhat: string): T {
  try {
    return createRequire(import.meta.url)(name) as T;
  } catch (error) {
    if (isNotFound(error, name)) {
      throw new MissingDependencyError(`${forWhat} needs the optional package ${name}: npm install ${name}@${OPTIONAL_DEPENDENCIES[name]}`);
    }
    throw error;
  }
}
