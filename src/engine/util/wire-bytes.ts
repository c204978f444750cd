/**
 * Binary data in JSON messages (Lambda payloads are JSON): a byte array travels as `{ "$bytes": base64 }`.
 * Base64 costs a third more bytes, which the exchange policy's payload limits account for.
 */
const TAG = '$bytes';

/** A copy of `value` that JSON.stringify can carry, byte arrays encoded. */
export function bytesToWire(value: unknown): unknown {
  if (value instanceof Uint8Array)
    return { [TAG]: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  if (Array.isArray(value)) return value.map(bytesToWire);
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value)) out[key] = bytesToWire(field);
    return out;
  }
  return value;
}

/** The value a parsed JSON message stood for, byte arrays decoded. */
export function bytesFromWire(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(bytesFromWire);
  if (isPlainObject(value)) {
    const encoded = value[TAG];
    if (typeof encoded === 'string' && Object.keys(value).length === 1) return Buffer.from(encoded, 'base64');
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value)) out[key] = bytesFromWire(field);
    return out;
  }
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
