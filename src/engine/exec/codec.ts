import { Packr } from 'msgpackr';
import { CorruptDataError } from './errors';

/**
 * Partitions and shuffle segments are msgpack arrays: compact, fast, and able to carry every JSON value
 * plus undefined, Date, Map and typed arrays. One encoder for the whole process: msgpackr reuses buffers.
 */
// Objects travel as msgpack records (each message carries its own record shapes, so any process can
// read it), which leaves msgpack maps for real Maps: objects stay objects, Maps stay Maps, Sets stay Sets.
const packr = new Packr({ useRecords: true, moreTypes: true, mapsAsObjects: false });

export function encodeRows(rows: readonly unknown[]): Uint8Array {
  return packr.pack(rows);
}

export function decodeRows(bytes: Uint8Array, what: string): unknown[] {
  let rows: unknown;
  try {
    rows = packr.unpack(bytes);
  } catch (error) {
    throw new CorruptDataError(
      `cannot decode ${what}: ${(error as Error).message}`,
      { what },
      { cause: error },
    );
  }
  if (!Array.isArray(rows)) throw new CorruptDataError(`${what} does not hold an array of rows`, { what });
  return rows;
}

/**
 * One shuffle file per map task: a header of `partitions + 1` little-endian uint32 offsets, then one
 * encoded segment per reduce partition. A reducer reads the header and then only its own segment.
 */
const MAGIC = 0x534c4331; // 'SLC1'

export function headerLength(partitions: number): number {
  return 8 + 4 * (partitions + 1);
}

export function encodeShuffleFile(buckets: readonly unknown[][]): { bytes: Uint8Array; offsets: number[] } {
  const segments = buckets.map((rows) => encodeRows(rows));
  const header = headerLength(buckets.length);
  const offsets = [header];
  for (const segment of segments) offsets.push(offsets[offsets.length - 1] + segment.length);
  const bytes = new Uint8Array(offsets[offsets.length - 1]);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, buckets.length, true);
  offsets.forEach((offset, i) => {
    view.setUint32(8 + 4 * i, offset, true);
  });
  segments.forEach((segment, i) => {
    bytes.set(segment, offsets[i]);
  });
  return { bytes, offsets };
}

export function decodeShuffleHeader(bytes: Uint8Array, what: string): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 8 || view.getUint32(0, true) !== MAGIC) {
    throw new CorruptDataError(`${what} is not a shuffle file`, { what });
  }
  const partitions = view.getUint32(4, true);
  if (bytes.byteLength < headerLength(partitions))
    throw new CorruptDataError(`${what} has a short header`, { what });
  const offsets: number[] = [];
  for (let i = 0; i <= partitions; i++) offsets.push(view.getUint32(8 + 4 * i, true));
  return offsets;
}
