import { ConfigError } from '../util/errors';

/** Where a record came from, for decoders that want more than its bytes (all sources fill what they know). */
export interface RecordMeta {
  /** The partition key it was put with (for a KPL user record: the user record's own key). */
  partitionKey: string;
  /** Kinesis sequence number of the record (of the aggregate, for a KPL user record). */
  sequenceNumber: string;
  /** Index of a KPL user record within its aggregate; absent for ordinary records. */
  subSequenceNumber?: number;
  /** ApproximateArrivalTimestamp, in ms since the epoch (0 if the source did not say). */
  arrivalTime: number;
  shard: string;
}

/**
 * Turns one record's bytes into a value; throws when the bytes are not readable (the record is
 * dead-lettered). `meta` says where the record came from; decoders that only need the bytes ignore it.
 */
export type RecordDecoder<T> = (data: Uint8Array, meta: RecordMeta) => T;

export type DecoderName = 'utf8' | 'json' | 'bytes';

// fatal: invalid UTF-8 must fail the record instead of turning into U+FFFD silently.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

// The built-ins need only the bytes (and so can be called with just them).
export const utf8 = (data: Uint8Array): string => strictUtf8.decode(data);

export const json = (data: Uint8Array): unknown => JSON.parse(utf8(data));

/** A copy, so the value does not pin (or share) the SDK's response buffer. */
export const bytes = (data: Uint8Array): Uint8Array => new Uint8Array(data);

const builtIn: Record<DecoderName, RecordDecoder<unknown>> = { utf8, json, bytes };

export function decoderFor<T>(decoder: DecoderName | RecordDecoder<T>): RecordDecoder<T> {
  if (typeof decoder === 'function') return decoder;
  if (typeof decoder === 'string' && Object.hasOwn(builtIn, decoder)) {
    return builtIn[decoder] as RecordDecoder<T>;
  }
  throw new ConfigError(
    `unknown record decoder ${JSON.stringify(decoder)}: use 'utf8', 'json', 'bytes' or a function (data: Uint8Array, meta) => value`,
    { decoder: String(decoder) },
  );
}
