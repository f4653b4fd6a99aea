/**
 * How jobs, run configurations and results cross Redis: Node's structured-clone serializer
 * (node:v8, the same algorithm worker_threads use, so whatever the local pool accepts the
 * queue accepts, typed arrays bit for bit). Large typed arrays inside a job (a round's global
 * parameters, which every client job of the round shares) are stored once under the SHA-256 of
 * their bytes and referenced from each job, so a round of 1,000 clients writes the model once,
 * not 1,000 times; workers keep the few they saw last.
 *
 * Everything read back is checked: a blob's bytes must hash to its name, a reference must name
 * a known typed-array type, so a damaged or forged entry fails one job with a clear error
 * instead of training on garbage.
 */
import { createHash } from 'node:crypto';
import { deserialize, serialize } from 'node:v8';
import { QueueJobError } from '../../errors.js';

/** Typed arrays at least this large travel as blobs (smaller ones stay inline). */
export const BLOB_THRESHOLD_BYTES = 64 * 1024;

const BLOB_MARK = '__trustnluBlob';

const TYPED_ARRAYS = {
  Float32Array,
  Float64Array,
  Int32Array,
  Uint32Array,
  Int16Array,
  Uint16Array,
  Int8Array,
  Uint8Array,
} as const;
type TypedArrayName = keyof typeof TYPED_ARRAYS;
type TypedArray = InstanceType<(typeof TYPED_ARRAYS)[TypedArrayName]>;

interface BlobReference {
  [BLOB_MARK]: string;
  type: TypedArrayName;
  length: number;
}

export interface Blob {
  hash: string;
  bytes: Buffer;
}

function typedArrayName(value: ArrayBufferView): TypedArrayName | undefined {
  const name = value.constructor?.name as TypedArrayName;
  return name in TYPED_ARRAYS ? name : undefined;
}

function bytesOf(view: ArrayBufferView): Buffer {
  return Buffer.from(view.buffer as ArrayBuffer, view.byteOffset, view.byteLength);
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Splits large typed arrays out of `value`: returns the serialized value (with references in
 * their place) and the blobs to store. `known` caches each array object's hash, so an array
 * shared by many jobs is hashed once.
 */
export function encodeWithBlobs(value: unknown, known: WeakMap<ArrayBufferView, string>): { payload: Buffer; blobs: Blob[] } {
  const blobs = new Map<string, Blob>();
  const visit = (v: unknown, depth: number): unknown => {
    if (v === null || typeof v !== 'object' || depth > 8) return v;
    if (ArrayBuffer.isView(v)) {
      const type = typedArrayName(v);
      if (!type) return v;
      // a view of shared memory (the local pool's broadcast) cannot be serialized: copy it
      if (v.byteLength < BLOB_THRESHOLD_BYTES) return v.buffer instanceof SharedArrayBuffer ? (v as TypedArray).slice() : v;
      let hash = known.get(v);
      const bytes = bytesOf(v);
      if (!hash) {
        hash = sha256(bytes);
        known.set(v, hash);
      }
      // a copy: the caller may reuse its array (and a shared one cannot be serialized)
      if (!blobs.has(hash)) blobs.set(hash, { hash, bytes: Buffer.from(bytes) });
      return { [BLOB_MARK]: hash, type, length: (v as TypedArray).length } satisfies BlobReference;
    }
    if (Array.isArray(v)) return v.map((item) => visit(item, depth + 1));
    if (Object.getPrototypeOf(v) !== Object.prototype) return v;
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, item]) => [k, visit(item, depth + 1)]));
  };
  const replaced = visit(value, 0);
  return { payload: encodeValue(replaced), blobs: [...blobs.values()] };
}

/** Hashes of the blobs `payload` references, in order of appearance. */
function referencedBlobs(value: unknown): BlobReference[] {
  const found: BlobReference[] = [];
  const visit = (v: unknown, depth: number): void => {
    if (v === null || typeof v !== 'object' || depth > 8 || ArrayBuffer.isView(v)) return;
    if (Array.isArray(v)) return v.forEach((item) => visit(item, depth + 1));
    const record = v as Record<string, unknown>;
    if (typeof record[BLOB_MARK] === 'string') {
      found.push(record as unknown as BlobReference);
      return;
    }
    for (const item of Object.values(record)) visit(item, depth + 1);
  };
  visit(value, 0);
  return found;
}

/** Puts the blobs back: `fetch` returns a blob's bytes by hash (checked here). */
export async function resolveBlobs(value: unknown, fetch: (hash: string) => Promise<Buffer>): Promise<unknown> {
  const arrays = new Map<string, ArrayBuffer>();
  for (const ref of referencedBlobs(value)) {
    const hash = ref[BLOB_MARK];
    if (!/^[0-9a-f]{64}$/.test(hash)) throw new QueueJobError(`queue: a job references a blob with a malformed name "${hash.slice(0, 80)}"`);
    if (!(ref.type in TYPED_ARRAYS)) throw new QueueJobError(`queue: a job references a blob of unknown type "${String(ref.type).slice(0, 40)}"`);
    if (arrays.has(hash)) continue;
    const bytes = await fetch(hash);
    if (sha256(bytes) !== hash) throw new QueueJobError(`queue: blob ${hash.slice(0, 12)}… does not match its hash (damaged or forged entry in Redis)`);
    // an own, aligned buffer per blob (Buffers from a client may sit at any offset of a pooled arena)
    const own = new ArrayBuffer(bytes.byteLength);
    new Uint8Array(own).set(bytes);
    arrays.set(hash, own);
  }
  const visit = (v: unknown, depth: number): unknown => {
    if (v === null || typeof v !== 'object' || depth > 8 || ArrayBuffer.isView(v)) return v;
    if (Array.isArray(v)) return v.map((item) => visit(item, depth + 1));
    const record = v as Record<string, unknown>;
    if (typeof record[BLOB_MARK] === 'string') {
      const ref = record as unknown as BlobReference;
      const Type = TYPED_ARRAYS[ref.type];
      const buffer = arrays.get(ref[BLOB_MARK])!;
      if (buffer.byteLength !== ref.length * Type.BYTES_PER_ELEMENT) {
        throw new QueueJobError(`queue: blob ${ref[BLOB_MARK].slice(0, 12)}… holds ${buffer.byteLength} bytes, not ${ref.length} × ${ref.type}`);
      }
      // each job gets its own copy: a local pool transfers (detaches) what it is given
      return new Type(buffer.slice(0));
    }
    return Object.fromEntries(Object.entries(record).map(([k, item]) => [k, visit(item, depth + 1)]));
  };
  return visit(value, 0);
}

/**
 * SHA-256 (hex) of a plain value's content, independent of how it is serialized: numbers as
 * float64, strings as UTF-8, typed arrays as their type and bytes, objects by sorted key (an
 * undefined property counts as absent). How a worker tells whether the data it built from its
 * own data directory is the data the coordinator would have sent.
 */
export function contentHash(value: unknown): string {
  const hash = createHash('sha256');
  const number = Buffer.alloc(8);
  const visit = (v: unknown, depth: number): void => {
    if (depth > 64) throw new QueueJobError('queue: a value nested deeper than 64 levels cannot be hashed');
    if (v === undefined) hash.update('u');
    else if (v === null) hash.update('n');
    else if (typeof v === 'boolean') hash.update(v ? 't' : 'f');
    else if (typeof v === 'number') {
      number.writeDoubleLE(v);
      hash.update('d').update(number);
    } else if (typeof v === 'string') {
      const bytes = Buffer.from(v, 'utf8');
      hash.update(`s${bytes.byteLength}:`).update(bytes);
    } else if (ArrayBuffer.isView(v)) {
      hash.update(`a${v.constructor.name}${v.byteLength}:`).update(bytesOf(v));
    } else if (Array.isArray(v)) {
      hash.update(`l${v.length}:`);
      for (const item of v) visit(item, depth + 1);
    } else if (typeof v === 'object') {
      const record = v as Record<string, unknown>;
      const keys = Object.keys(record).filter((k) => record[k] !== undefined).sort();
      hash.update(`o${keys.length}:`);
      for (const key of keys) {
        visit(key, depth + 1);
        visit(record[key], depth + 1);
      }
    } else throw new QueueJobError(`queue: a ${typeof v} cannot be hashed; data must be plain`);
  };
  visit(value, 0);
  return hash.digest('hex');
}

export function sha256Hex(bytes: Uint8Array): string {
  return sha256(bytes);
}

export function encodeValue(value: unknown): Buffer {
  try {
    return serialize(value);
  } catch (error) {
    throw new QueueJobError(`queue: a value cannot be sent over Redis (${(error as Error).message}); jobs, configurations and results must be plain data`);
  }
}

export function decodeValue(bytes: Buffer, what: string): unknown {
  try {
    return deserialize(bytes);
  } catch (error) {
    throw new QueueJobError(`queue: ${what} cannot be decoded (${(error as Error).message}); are all machines on the same Node major version?`);
  }
}
