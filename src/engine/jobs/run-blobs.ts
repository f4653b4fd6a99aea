/**
 * The coordinator's bookkeeping of a run's blobs (the large typed arrays its jobs reference,
 * see wire.ts): each is written to Redis once however many jobs use it, its bytes are kept
 * while a pending job uses it (to write it again if Redis loses it), and every blob written is
 * deleted when the run closes.
 */
import type { ChainableCommander, Redis } from 'ioredis';
import { blobKey } from './queue-protocol.js';
import { encodeWithBlobs } from './wire.js';

const BLOB_TTL_SECONDS = 3600;

export class RunBlobs {
  /** Blobs pending jobs use: how many jobs, and the bytes. */
  private readonly held = new Map<string, { uses: number; bytes: Buffer }>();
  /** Blobs in Redis as far as we know (deleted at close). */
  private readonly written = new Set<string>();
  /** Each array object's hash, so an array shared by many jobs is hashed once. */
  private readonly hashes = new WeakMap<ArrayBufferView, string>();

  /** Serializes a job; the blobs it references (their hashes returned) are held until release(). */
  encode(job: unknown): { payload: Buffer; hashes: string[] } {
    const { payload, blobs } = encodeWithBlobs(job, this.hashes);
    for (const blob of blobs) {
      const entry = this.held.get(blob.hash);
      if (entry) entry.uses++;
      else this.held.set(blob.hash, { uses: 1, bytes: blob.bytes });
    }
    return { payload, hashes: blobs.map((b) => b.hash) };
  }

  /** Writes those of `hashes` that Redis does not hold yet. */
  async write(redis: Redis, hashes: readonly string[]): Promise<void> {
    const fresh = hashes.filter((hash) => !this.written.has(hash));
    if (fresh.length === 0) return;
    const pipeline = redis.pipeline();
    for (const hash of fresh) pipeline.set(blobKey(hash), this.held.get(hash)!.bytes, 'EX', BLOB_TTL_SECONDS);
    await pipeline.exec();
    for (const hash of fresh) this.written.add(hash);
  }

  /** A job that used `hashes` is over: a blob no pending job uses lets go of its bytes. */
  release(hashes: readonly string[]): void {
    for (const hash of hashes) {
      const entry = this.held.get(hash);
      if (entry && --entry.uses === 0) this.held.delete(hash);
    }
  }

  /** Queues a TTL refresh of every held blob; returns how many commands it added (each replies 1 if the blob was there). */
  refresh(pipeline: ChainableCommander): number {
    for (const hash of this.held.keys()) pipeline.expire(blobKey(hash), BLOB_TTL_SECONDS);
    return this.held.size;
  }

  /** Redis lost some blobs (a restart): write each again before its next job. */
  forgetWritten(): void {
    this.written.clear();
  }

  /** Keys of every blob written, for the cleanup at close. */
  writtenKeys(): string[] {
    return [...this.written].map(blobKey);
  }
}
