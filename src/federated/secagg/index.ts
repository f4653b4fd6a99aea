/**
 * Secure aggregation for federated learning: Bonawitz et al. (CCS 2017) over the SecAgg+
 * communication graph of Bell et al. (CCS 2020). Pairwise masks from X25519 + HKDF +
 * AES-256-CTR, self-masks, Shamir shares of both secrets so dropouts can be tolerated,
 * AES-GCM for shares routed through the server, fixed-point encoding into Z_{2^32}.
 * Transport-free: a client and a server state machine exchange plain-data messages; the
 * crypto sits behind one interface (node:crypto or WebCrypto). See docs/federated-privacy.md.
 */
export { SecAggDropoutError, SecAggIntegrityError, SecAggProtocolError } from './errors.js';
export { type KeyPair, type SecAggCrypto, KEY_BYTES, NONCE_BYTES, TAG_BYTES } from './crypto.js';
export { nodeSecAggCrypto } from './node-crypto.js';
export { webSecAggCrypto } from './web-crypto.js';
export { FIELD_PRIME, SHARE_BYTES, SECRET_BYTES, shareSecret, reconstructSecret, type Share } from './shamir.js';
export {
  RING_BITS,
  fixedPointEncoding,
  fixedPointStep,
  encodeFixedPoint,
  decodeFixedPoint,
  addInRing,
  type FixedPointEncoding,
  type FixedPointOptions,
  type EncodedVector,
} from './fixed-point.js';
export { hararyGraphNeighbours, defaultNeighbours, defaultThreshold } from './graph.js';
export { expandMask, pairwiseSign } from './masks.js';
export * from './messages.js';
export { SecAggClient, checkSessionConfig, type SecAggClientStage } from './client.js';
export { SecAggServer, type SecAggServerOptions, type SecAggServerStage, type SecAggResult } from './server.js';
export { runSecureAggregation, type InProcessSecAggOptions, type InProcessSecAggResult, type ScriptedDropouts, type StageCost } from './in-process.js';
export { toWire, fromWire } from './wire.js';
