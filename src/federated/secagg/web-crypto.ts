/**
 * SecAggCrypto on WebCrypto (`crypto.subtle`), for a browser client; Node ≥ 20 has the same
 * API on globalThis.crypto, which is how the tests check that it interoperates with the
 * node:crypto implementation byte for byte.
 *
 * Support: HKDF, AES-CTR and AES-GCM are in every current browser. X25519 in WebCrypto
 * ("Secure Curves") is newer: Firefox 129 and Safari 17 ship it, and Chromium since M133
 * (blink-dev "Intent to Ship: X25519", Nov 2024; before, only behind
 * chrome://flags/#enable-experimental-web-platform-features). Checked here on Debian's
 * Chromium 156 (headless): X25519 generateKey/deriveBits, PKCS#8 import/export and JWK
 * export with `x` (what this file uses), HKDF and AES-CTR with a 128-bit counter all work.
 * On a browser without X25519, `generateKeyPair` throws a NotSupportedError: put a pure-JS
 * X25519 behind this interface instead.
 */
import { SecAggIntegrityError, SecAggProtocolError } from './errors.js';
import { concatBytes, isAllZero, KEY_BYTES, NONCE_BYTES, TAG_BYTES, X25519_PKCS8_PREFIX, type KeyPair, type SecAggCrypto } from './crypto.js';

type Bytes = BufferSource;
const asBuffer = (bytes: Uint8Array): Bytes => bytes as unknown as Bytes;

function checkKey(bytes: Uint8Array, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== KEY_BYTES) {
    throw new SecAggProtocolError(`${what} must be ${KEY_BYTES} bytes, got ${bytes instanceof Uint8Array ? bytes.length : typeof bytes}`);
  }
}

export function webSecAggCrypto(subtle: SubtleCrypto = globalThis.crypto.subtle): SecAggCrypto {
  const getRandomValues = (out: Uint8Array) => {
    for (let offset = 0; offset < out.length; offset += 65_536) globalThis.crypto.getRandomValues(out.subarray(offset, offset + 65_536));
    return out;
  };
  const zeros = { bytes: new Uint8Array(0) };
  return {
    name: 'webcrypto',

    randomBytes(length: number): Uint8Array {
      return getRandomValues(new Uint8Array(length));
    },

    async generateKeyPair(): Promise<KeyPair> {
      // 32 random bytes are a valid X25519 secret key (RFC 7748 clamps them on use).
      const secretKey = getRandomValues(new Uint8Array(KEY_BYTES));
      // WebCrypto has no raw export of a secret key, so import ours and read its public half from the JWK
      const privateKey = await subtle.importKey('pkcs8', asBuffer(concatBytes(X25519_PKCS8_PREFIX, secretKey)), { name: 'X25519' }, true, ['deriveBits']);
      const jwk = await subtle.exportKey('jwk', privateKey);
      if (!jwk.x) throw new SecAggProtocolError('WebCrypto: X25519 JWK export carries no public key');
      const publicKey = base64UrlDecode(jwk.x);
      return { secretKey, publicKey };
    },

    async agree(secretKey: Uint8Array, publicKey: Uint8Array): Promise<Uint8Array> {
      checkKey(secretKey, 'X25519 secret key');
      checkKey(publicKey, 'X25519 public key');
      const privateKey = await subtle.importKey('pkcs8', asBuffer(concatBytes(X25519_PKCS8_PREFIX, secretKey)), { name: 'X25519' }, false, ['deriveBits']);
      const peer = await subtle.importKey('raw', asBuffer(publicKey), { name: 'X25519' }, false, []);
      let shared: Uint8Array;
      try {
        shared = new Uint8Array(await subtle.deriveBits({ name: 'X25519', public: peer } as unknown as AlgorithmIdentifier, privateKey, 256));
      } catch {
        throw new SecAggIntegrityError('X25519: the peer public key is a low-order point (all-zero shared secret); refusing it');
      }
      if (isAllZero(shared)) throw new SecAggIntegrityError('X25519: the peer public key is a low-order point (all-zero shared secret); refusing it');
      return shared;
    },

    async hkdf(ikm: Uint8Array, salt: Uint8Array, info: string, length: number): Promise<Uint8Array> {
      const key = await subtle.importKey('raw', asBuffer(ikm), 'HKDF', false, ['deriveBits']);
      const bits = await subtle.deriveBits(
        { name: 'HKDF', hash: 'SHA-256', salt: asBuffer(salt), info: asBuffer(new TextEncoder().encode(info)) },
        key,
        length * 8,
      );
      return new Uint8Array(bits);
    },

    async keystream(key: Uint8Array, length: number): Promise<Uint8Array> {
      checkKey(key, 'AES-256-CTR key');
      if (zeros.bytes.length < length) zeros.bytes = new Uint8Array(length);
      const aes = await subtle.importKey('raw', asBuffer(key), 'AES-CTR', false, ['encrypt']);
      // a 128-bit counter block incremented as one integer: the same stream as OpenSSL's aes-256-ctr
      const stream = await subtle.encrypt({ name: 'AES-CTR', counter: new Uint8Array(16), length: 128 }, aes, asBuffer(zeros.bytes.subarray(0, length)));
      return new Uint8Array(stream);
    },

    async seal(key: Uint8Array, plaintext: Uint8Array, associatedData: Uint8Array): Promise<Uint8Array> {
      checkKey(key, 'AES-256-GCM key');
      const nonce = getRandomValues(new Uint8Array(NONCE_BYTES));
      const aes = await subtle.importKey('raw', asBuffer(key), 'AES-GCM', false, ['encrypt']);
      const body = await subtle.encrypt({ name: 'AES-GCM', iv: asBuffer(nonce), additionalData: asBuffer(associatedData), tagLength: TAG_BYTES * 8 }, aes, asBuffer(plaintext));
      return concatBytes(nonce, new Uint8Array(body));
    },

    async open(key: Uint8Array, sealed: Uint8Array, associatedData: Uint8Array): Promise<Uint8Array> {
      checkKey(key, 'AES-256-GCM key');
      if (!(sealed instanceof Uint8Array) || sealed.length < NONCE_BYTES + TAG_BYTES) {
        throw new SecAggIntegrityError(`AES-GCM: ciphertext of ${sealed?.length ?? 0} bytes is shorter than nonce + tag (${NONCE_BYTES + TAG_BYTES})`);
      }
      const aes = await subtle.importKey('raw', asBuffer(key), 'AES-GCM', false, ['decrypt']);
      try {
        const body = await subtle.decrypt(
          { name: 'AES-GCM', iv: asBuffer(sealed.subarray(0, NONCE_BYTES)), additionalData: asBuffer(associatedData), tagLength: TAG_BYTES * 8 },
          aes,
          asBuffer(sealed.subarray(NONCE_BYTES)),
        );
        return new Uint8Array(body);
      } catch {
        throw new SecAggIntegrityError('AES-GCM: authentication failed (the ciphertext, its nonce or its associated data was altered)');
      }
    },
  };
}

function base64UrlDecode(text: string): Uint8Array {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  const binary = atob(base64);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
