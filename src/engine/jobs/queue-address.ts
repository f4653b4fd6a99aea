/**
 * The `--queue` address: `redis://[user:password@]host:port[/db]`, or `rediss://` for TLS.
 * Parsed strictly before anything connects, so a typo is one line naming the fix. An address
 * that is neither loopback nor private, reached without TLS or without a password, earns a
 * warning: the queue carries training data and runs code paths on every worker.
 */
import { isIP } from 'node:net';
import { ConfigError } from '../../errors.js';

export interface QueueAddress {
  /** The address as given (with the password), for the Redis client. */
  url: string;
  /** The address without its password, for messages and reports. */
  display: string;
  host: string;
  port: number;
  db: number;
  tls: boolean;
  hasPassword: boolean;
}

export const QUEUE_ADDRESS_FORM = 'redis://[:password@]host:port[/db] or rediss://… (TLS)';

export function parseQueueAddress(text: string): QueueAddress {
  const fail = (why: string): never => {
    throw new ConfigError(`invalid --queue "${redact(text)}": ${why}; expected ${QUEUE_ADDRESS_FORM}`);
  };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return fail('not a URL');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') fail(`the scheme must be redis:// or rediss://, got ${url.protocol}//`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!host) fail('no host');
  if (!url.port) fail('no port (Redis listens on 6379 by default: write it out)');
  const port = Number(url.port);
  const path = url.pathname.replace(/^\//, '');
  if (path !== '' && !/^\d{1,2}$/.test(path)) fail(`the database must be a number 0–15 after the port, got "/${path}"`);
  const db = path === '' ? 0 : Number(path);
  if (db > 15) fail(`the database must be 0–15, got ${db}`);
  if (url.search || url.hash) fail('no query string or fragment is accepted');
  const display = `${url.protocol}//${host.includes(':') ? `[${host}]` : host}:${port}/${db}`;
  return { url: text, display, host, port, db, tls: url.protocol === 'rediss:', hasPassword: url.password !== '' };
}

function redact(text: string): string {
  return text.replace(/\/\/([^@/]*)@/, '//***@');
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

function isPrivate(host: string): boolean {
  if (isIP(host) === 4) return /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|169\.254\.)/.test(host);
  if (isIP(host) === 6) return /^(fc|fd|fe80)/i.test(host);
  // a name: a local-only name is likely private; anything else may be public
  return !host.includes('.') || /\.(local|internal|lan|home\.arpa)$/i.test(host);
}

/** A warning to print before connecting, or undefined when the address looks safe. */
export function queueAddressWarning(address: QueueAddress): string | undefined {
  if (isLoopback(address.host)) return undefined;
  const problems: string[] = [];
  if (!address.hasPassword) problems.push('no password');
  if (!address.tls && !isPrivate(address.host)) problems.push('no TLS to a possibly public address');
  if (problems.length === 0) return undefined;
  return `warning: the queue ${address.display} is reached with ${problems.join(' and ')}; anyone who can write to this Redis can feed jobs to the workers and read the training data: keep Redis on a private network, with requirepass and TLS (rediss://) (see docs/scale-out.md)`;
}
