/**
 * Where DP randomness comes from. Privacy noise and (in secure mode) Poisson sampling draw
 * from the platform CSPRNG: WebCrypto `getRandomValues`, present in Node ≥ 19 and every
 * browser, which refuses more than 65,536 bytes per call, so large buffers are filled in
 * chunks. A seeded source exists for reproducible experiments and tests only; it carries
 * no privacy guarantee (whoever knows the seed knows the noise).
 */
import { ConfigError } from '../../errors.js';
import { SeededRandom } from '../../engine/random.js';

/** Fills byte buffers with random bytes. */
export interface RandomBytes {
  /** True for a cryptographically secure generator. */
  readonly secure: boolean;
  fill(bytes: Uint8Array): void;
}

/** WebCrypto's per-call limit. */
export const CSPRNG_CHUNK_BYTES = 65_536;

interface WebCrypto {
  getRandomValues<T extends ArrayBufferView>(array: T): T;
}

function webCrypto(): WebCrypto {
  const crypto = (globalThis as { crypto?: WebCrypto }).crypto;
  if (!crypto || typeof crypto.getRandomValues !== 'function') {
    throw new ConfigError('no cryptographically secure random generator found (globalThis.crypto.getRandomValues): use Node ≥ 20 or a browser');
  }
  return crypto;
}

/** The platform CSPRNG. */
export const CSPRNG: RandomBytes = {
  secure: true,
  fill(bytes: Uint8Array): void {
    const crypto = webCrypto();
    for (let offset = 0; offset < bytes.length; offset += CSPRNG_CHUNK_BYTES) {
      crypto.getRandomValues(bytes.subarray(offset, Math.min(offset + CSPRNG_CHUNK_BYTES, bytes.length)));
    }
  },
};

/** Reproducible bytes from a seed (xoshiro128**): experiments and tests, never for privacy. */
export function seededBytes(seed: number): RandomBytes {
  const rng = new SeededRandom(seed);
  return {
    secure: false,
    fill(bytes: Uint8Array): void {
      const whole = bytes.length >> 2;
      if (bytes.byteOffset % 4 === 0 && whole > 0) {
        const words = new Uint32Array(bytes.buffer, bytes.byteOffset, whole);
        for (let i = 0; i < whole; i++) words[i] = rng.nextUint32();
      } else {
        for (let i = 0; i < whole * 4; i += 4) {
          const w = rng.nextUint32();
          bytes[i] = w & 255;
          bytes[i + 1] = (w >>> 8) & 255;
          bytes[i + 2] = (w >>> 16) & 255;
          bytes[i + 3] = w >>> 24;
        }
      }
      for (let i = whole * 4; i < bytes.length; i++) bytes[i] = rng.nextUint32() & 255;
    },
  };
}

/**
 * Uniform numbers in [0, 1) with 53 random bits, drawn from a byte source in blocks (one
 * CSPRNG call per 512 numbers instead of one per number).
 */
export class UniformStream {
  private readonly words: Uint32Array;
  private readonly bytes: Uint8Array;
  private position: number;

  constructor(readonly source: RandomBytes, block = 1024) {
    this.words = new Uint32Array(block);
    this.bytes = new Uint8Array(this.words.buffer);
    this.position = block;
  }

  private word(): number {
    if (this.position >= this.words.length) {
      this.source.fill(this.bytes);
      this.position = 0;
    }
    return this.words[this.position++];
  }

  /** Uniform in [0, 1) on the grid k·2⁻⁵³. */
  next(): number {
    const hi = this.word() >>> 5; // 27 bits
    const lo = this.word() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform in (0, 1): never 0, so its logarithm is finite. */
  nextOpen(): number {
    const hi = this.word() >>> 5;
    const lo = this.word() >>> 6;
    return (hi * 67108864 + lo + 0.5) / 9007199254740992;
  }
}
