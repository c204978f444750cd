import type { Store } from '../io/ports';
import { checkpointPrefix } from '../plan';
import { CorruptDataError } from './errors';

/**
 * Small checkpoints go to the store as one object, `checkpoints/<time>/packed`, instead of one per
 * partition: a PUT costs the same for 1 KB as for 4 MB. The object is a 4-byte big-endian index length,
 * the index as JSON (each partition's own checkpoint key, offset and length in the body), then the body.
 * Readers look for a partition under its own key first (large checkpoints, and those written before
 * packing), then in the packed object of its time.
 */
export const PACKED_CHECKPOINT = 'packed';

/** Checkpoints up to this size in all are packed: well under an invocation payload, one cheap GET. */
export const PACKED_CHECKPOINT_MAX_BYTES = 4 * 1024 * 1024;

export function packedCheckpointKey(time: number): string {
  return `${checkpointPrefix(time)}${PACKED_CHECKPOINT}`;
}

interface PackIndex {
  parts: { key: string; offset: number; length: number }[];
}

export function packCheckpoint(parts: readonly (readonly [string, Uint8Array])[]): Uint8Array {
  const index: PackIndex = { parts: [] };
  let offset = 0;
  for (const [key, bytes] of parts) {
    index.parts.push({ key, offset, length: bytes.length });
    offset += bytes.length;
  }
  const header = new TextEncoder().encode(JSON.stringify(index));
  const packed = new Uint8Array(4 + header.length + offset);
  new DataView(packed.buffer).setUint32(0, header.length);
  packed.set(header, 4);
  let at = 4 + header.length;
  for (const [, bytes] of parts) {
    packed.set(bytes, at);
    at += bytes.length;
  }
  return packed;
}

/** The partitions in a packed checkpoint, by checkpoint key. */
export function unpackCheckpoint(packed: Uint8Array, key: string): Map<string, Uint8Array> {
  const corrupt = (why: string) => new CorruptDataError(`packed checkpoint ${key} ${why}`, { key });
  if (packed.length < 4) throw corrupt('is shorter than its header');
  const headerLength = new DataView(packed.buffer, packed.byteOffset, packed.byteLength).getUint32(0);
  const bodyStart = 4 + headerLength;
  if (bodyStart > packed.length) throw corrupt('has an index longer than the object');
  let index: PackIndex;
  try {
    index = JSON.parse(new TextDecoder().decode(packed.subarray(4, bodyStart))) as PackIndex;
  } catch (error) {
    throw new CorruptDataError(`packed checkpoint ${key} has an unreadable index`, { key }, { cause: error });
  }
  const parts = new Map<string, Uint8Array>();
  for (const part of index.parts ?? []) {
    const start = bodyStart + part.offset;
    if (part.offset < 0 || part.length < 0 || start + part.length > packed.length)
      throw corrupt(`names bytes past its end for ${part.key}`);
    // Copied: a partition kept for later batches must not pin the whole object.
    parts.set(part.key, packed.slice(start, start + part.length));
  }
  return parts;
}

/** The partitions packed at checkpoint `time` (none when nothing was packed then). */
export async function readPackedCheckpoint(store: Store, time: number): Promise<Map<string, Uint8Array>> {
  const key = packedCheckpointKey(time);
  const packed = await store.get(key);
  return packed ? unpackCheckpoint(packed, key) : new Map();
}
