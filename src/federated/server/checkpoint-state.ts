/**
 * A strategy's state (StrategyState) as the bytes a checkpoint stores next to the parameters:
 *
 *   uint32 LE header length · header JSON {values, vectors: [[name, length], ...]} · zero
 *   padding to a multiple of 4 · the vectors' raw float32 values (as the store keeps parameters), in header order.
 *
 * Decoding checks every length, so a truncated or foreign blob is a StateStoreError, never a
 * silently wrong optimiser state.
 */
import type { StrategyState } from '../strategy.js';
import { StateStoreError, float32FromBuffer } from '../store/index.js';

export function encodeStrategyState(state: StrategyState): Uint8Array {
  const entries = Object.entries(state.vectors);
  const header = new TextEncoder().encode(JSON.stringify({ values: state.values, vectors: entries.map(([name, v]) => [name, v.length]) }));
  const start = Math.ceil((4 + header.length) / 4) * 4;
  const bytes = new Uint8Array(start + entries.reduce((s, [, v]) => s + v.byteLength, 0));
  new DataView(bytes.buffer).setUint32(0, header.length, true);
  bytes.set(header, 4);
  let offset = start;
  for (const [, v] of entries) {
    // raw float32 bytes, as the store keeps parameters
    bytes.set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), offset);
    offset += v.byteLength;
  }
  return bytes;
}

export function decodeStrategyState(bytes: Uint8Array, where: string): StrategyState {
  const bad = (why: string) => new StateStoreError(`${where}: the strategy state is unreadable (${why})`);
  if (bytes.length < 4) throw bad(`${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(0, true);
  if (4 + headerLength > bytes.length) throw bad('truncated header');
  let header: { values: Record<string, number>; vectors: [string, number][] };
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + headerLength))) as typeof header;
  } catch (error) {
    throw bad((error as Error).message);
  }
  if (!header || typeof header.values !== 'object' || !Array.isArray(header.vectors)) throw bad('header fields');
  let offset = Math.ceil((4 + headerLength) / 4) * 4;
  const vectors: Record<string, Float32Array> = {};
  for (const [name, length] of header.vectors) {
    if (typeof name !== 'string' || !Number.isInteger(length) || length < 0 || offset + 4 * length > bytes.length) throw bad(`vector ${String(name)}`);
    vectors[name] = float32FromBuffer(bytes.subarray(offset, offset + 4 * length));
    offset += 4 * length;
  }
  if (offset !== bytes.length) throw bad(`${bytes.length - offset} trailing bytes`);
  return { values: header.values, vectors };
}
