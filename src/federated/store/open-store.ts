/** The store a server is told to use: a redis:// URL (shared by several processes) or a SQLite file. */
import { RedisFederationStore } from './redis-store.js';
import { SqliteFederationStore } from './sqlite-store.js';
import type { FederationStore } from './store.js';

export interface StoreLocation {
  /** redis://host:port[/db] (or rediss://): a RedisFederationStore; otherwise a SQLite file path (":memory:" allowed). */
  location: string;
  /** Key prefix in Redis (one per federation). */
  redisPrefix?: string;
  /** SQLite only: 'full' also survives power loss. */
  fsync?: 'normal' | 'full';
}

export function isRedisLocation(location: string): boolean {
  return /^rediss?:\/\//i.test(location);
}

export async function openFederationStore(options: StoreLocation): Promise<FederationStore> {
  if (isRedisLocation(options.location)) return RedisFederationStore.connect(options.location, { prefix: options.redisPrefix });
  return new SqliteFederationStore(options.location, { fsync: options.fsync });
}
