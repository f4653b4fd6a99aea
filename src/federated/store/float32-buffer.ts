/** Parameters and updates are stored as raw little-endian float32 bytes, never as JSON. */

/** A Buffer view of the values' bytes (no copy). */
export function float32ToBuffer(values: Float32Array): Buffer {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
}

/** The values of stored bytes, copied into fresh aligned memory (a Buffer may sit at any offset of a shared pool). */
export function float32FromBuffer(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}
