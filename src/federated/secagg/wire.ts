/**
 * A JSON form of the secure-aggregation messages for HTTP: byte arrays become
 * {"$bytes": base64} and ring vectors {"$u32": base64 of little-endian words}; numbers,
 * arrays and objects pass through. `fromWire(JSON.parse(JSON.stringify(toWire(m))))` gives
 * back a message the state machines accept (a session run entirely through it is tested).
 * A large masked input may instead travel as a raw binary body: its bytes are
 * `new Uint8Array(masked.buffer, masked.byteOffset, masked.byteLength)` (little-endian).
 */
import { SecAggProtocolError } from './errors.js';

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

// btoa/atob rather than Buffer: this file must also run in a browser
function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function fromBase64(text: unknown, what: string): Uint8Array {
  if (typeof text !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw new SecAggProtocolError(`wire: ${what} must be a base64 string`);
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    throw new SecAggProtocolError(`wire: ${what} is not valid base64`);
  }
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

function wordsToBytes(words: Uint32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(words.buffer, words.byteOffset, words.byteLength);
  const out = new Uint8Array(words.length * 4);
  const view = new DataView(out.buffer);
  words.forEach((w, i) => view.setUint32(4 * i, w, true));
  return out;
}

function bytesToWords(bytes: Uint8Array): Uint32Array {
  if (bytes.length % 4 !== 0) throw new SecAggProtocolError(`wire: a ring vector needs a multiple of 4 bytes, got ${bytes.length}`);
  const out = new Uint32Array(bytes.length / 4);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = view.getUint32(4 * i, true);
  return out;
}

/** A JSON-safe copy of a message (typed arrays tagged and base64-encoded). */
export function toWire(value: unknown): unknown {
  if (value instanceof Uint8Array) return { $bytes: toBase64(value) };
  if (value instanceof Uint32Array) return { $u32: toBase64(wordsToBytes(value)) };
  if (Array.isArray(value)) return value.map(toWire);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toWire(v)]));
  return value;
}

/** Inverse of toWire; a malformed tag throws SecAggProtocolError (the state machines check the rest). */
export function fromWire<T = unknown>(value: unknown): T {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if ('$bytes' in o) return fromBase64(o.$bytes, '$bytes');
      if ('$u32' in o) return bytesToWords(fromBase64(o.$u32, '$u32'));
      return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, walk(x)]));
    }
    return v;
  };
  return walk(value) as T;
}
