/**
 * SecAggCrypto on node:crypto: the only file of the secure-aggregation code that imports it.
 * X25519 keys cross the interface as raw 32 bytes and are wrapped as PKCS#8/SPKI DER to
 * call `diffieHellman`.
 */
import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes as nodeRandomBytes,
  type KeyObject,
} from 'node:crypto';
import { SecAggIntegrityError, SecAggProtocolError } from './errors.js';
import {
  concatBytes,
  isAllZero,
  KEY_BYTES,
  NONCE_BYTES,
  TAG_BYTES,
  X25519_PKCS8_PREFIX,
  X25519_SPKI_PREFIX,
  type KeyPair,
  type SecAggCrypto,
} from './crypto.js';

function checkKey(bytes: Uint8Array, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== KEY_BYTES) {
    throw new SecAggProtocolError(`${what} must be ${KEY_BYTES} bytes, got ${bytes instanceof Uint8Array ? bytes.length : typeof bytes}`);
  }
}

/**
 * Parsed secret keys by byte array: importing a PKCS#8 X25519 key costs ~0.9 ms (OpenSSL
 * derives the public key), eight times the agreement itself, and a client agrees with every
 * neighbour under the same two secrets. Keyed weakly, so a key is dropped with its bytes.
 */
const secretKeyObjects = new WeakMap<Uint8Array, { copy: Uint8Array; key: KeyObject }>();

function secretKeyObject(secretKey: Uint8Array): KeyObject {
  checkKey(secretKey, 'X25519 secret key');
  const cached = secretKeyObjects.get(secretKey);
  // the bytes could have been changed in place since: reuse only an identical copy
  if (cached && cached.copy.every((b, i) => b === secretKey[i])) return cached.key;
  const key = createPrivateKey({ key: Buffer.from(concatBytes(X25519_PKCS8_PREFIX, secretKey)), format: 'der', type: 'pkcs8' });
  secretKeyObjects.set(secretKey, { copy: secretKey.slice(), key });
  return key;
}

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  checkKey(publicKey, 'X25519 public key');
  return createPublicKey({ key: Buffer.from(concatBytes(X25519_SPKI_PREFIX, publicKey)), format: 'der', type: 'spki' });
}

/** One zero buffer reused as the plaintext of every keystream (grown on demand). */
let zeros = new Uint8Array(0);
const IV_ZERO = new Uint8Array(16);

export const nodeSecAggCrypto: SecAggCrypto = {
  name: 'node:crypto',

  randomBytes(length: number): Uint8Array {
    return new Uint8Array(nodeRandomBytes(length));
  },

  async generateKeyPair(): Promise<KeyPair> {
    const { privateKey, publicKey } = generateKeyPairSync('x25519');
    const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });
    const spki = publicKey.export({ format: 'der', type: 'spki' });
    return {
      secretKey: new Uint8Array(pkcs8.subarray(pkcs8.length - KEY_BYTES)),
      publicKey: new Uint8Array(spki.subarray(spki.length - KEY_BYTES)),
    };
  },

  async agree(secretKey: Uint8Array, publicKey: Uint8Array): Promise<Uint8Array> {
    let shared: Uint8Array;
    try {
      shared = new Uint8Array(diffieHellman({ privateKey: secretKeyObject(secretKey), publicKey: publicKeyObject(publicKey) }));
    } catch {
      // OpenSSL refuses a low-order point itself ("failed during derivation")
      throw new SecAggIntegrityError('X25519: the peer public key is a low-order point (all-zero shared secret); refusing it');
    }
    if (isAllZero(shared)) throw new SecAggIntegrityError('X25519: the peer public key is a low-order point (all-zero shared secret); refusing it');
    return shared;
  },

  async hkdf(ikm: Uint8Array, salt: Uint8Array, info: string, length: number): Promise<Uint8Array> {
    return new Uint8Array(hkdfSync('sha256', ikm, salt, Buffer.from(info, 'utf8'), length));
  },

  async keystream(key: Uint8Array, length: number): Promise<Uint8Array> {
    checkKey(key, 'AES-256-CTR key');
    if (zeros.length < length) zeros = new Uint8Array(length);
    const cipher = createCipheriv('aes-256-ctr', key, IV_ZERO);
    const out = cipher.update(zeros.subarray(0, length));
    cipher.final();
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  },

  async seal(key: Uint8Array, plaintext: Uint8Array, associatedData: Uint8Array): Promise<Uint8Array> {
    checkKey(key, 'AES-256-GCM key');
    const nonce = nodeRandomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    cipher.setAAD(associatedData);
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return concatBytes(nonce, body, cipher.getAuthTag());
  },

  async open(key: Uint8Array, sealed: Uint8Array, associatedData: Uint8Array): Promise<Uint8Array> {
    checkKey(key, 'AES-256-GCM key');
    if (!(sealed instanceof Uint8Array) || sealed.length < NONCE_BYTES + TAG_BYTES) {
      throw new SecAggIntegrityError(`AES-GCM: ciphertext of ${sealed?.length ?? 0} bytes is shorter than nonce + tag (${NONCE_BYTES + TAG_BYTES})`);
    }
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, NONCE_BYTES));
    decipher.setAAD(associatedData);
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    try {
      const body = Buffer.concat([decipher.update(sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
      return new Uint8Array(body.buffer, body.byteOffset, body.length);
    } catch {
      throw new SecAggIntegrityError('AES-GCM: authentication failed (the ciphertext, its nonce or its associated data was altered)');
    }
  },
};
