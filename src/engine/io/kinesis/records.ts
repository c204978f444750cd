import type { _Record } from '@aws-sdk/client-kinesis';
import { deaggregateSync, type UserRecord } from 'aws-kinesis-agg';
import type { RecordDecoder, RecordMeta } from '../decoders';
import type { DeadLetter, SourceRange } from '../ports';

const KPL_MAGIC = [0xf3, 0x89, 0x9a, 0xc2];

/** What one shard yielded in one read or replay. */
export interface ShardPart<T> {
  records: T[];
  deadLetters: DeadLetter[];
  /** Sequence numbers of the first and last Kinesis record consumed ('' when none). */
  first: string;
  last: string;
  /** User records decoded plus dead letters: everything consumed, what SourceRange.count records. */
  count: number;
  /** Bytes of the Kinesis records consumed (their Data, before de-aggregation). */
  bytes: number;
  kinesisRecords: number;
  /** The shard is closed and was read to its end. */
  ended: boolean;
  /** MillisBehindLatest of the last GetRecords answer. */
  millisBehindLatest?: number;
  /** When the last GetRecords that answered at the tip, all of it consumed, was sent (SourceRange.caughtUpAt). */
  caughtUpAt?: number;
  /** A trimmed stretch skipped on request (onTrimmedPosition: 'skip'). */
  gap?: NonNullable<SourceRange['gap']>;
}

export function emptyPart<T>(): ShardPart<T> {
  return {
    records: [],
    deadLetters: [],
    first: '',
    last: '',
    count: 0,
    bytes: 0,
    kinesisRecords: 0,
    ended: false,
  };
}

/** Per shard and batch; a Kinesis record is consumed whole, so see `consume`. */
export interface Caps {
  records: number;
  bytes: number;
}

/** A Kinesis record turned into the user records it holds (one, or many when the KPL aggregated them). */
interface Unpacked {
  users: { data: Uint8Array; partitionKey: string; subSequenceNumber?: number; position: string }[];
  /** Why magic bytes were not taken as an aggregate, for the dead letter if the record does not decode. */
  note?: string;
}

function unpack(record: _Record): Unpacked {
  const sequence = record.SequenceNumber!;
  const data = record.Data ?? new Uint8Array(0);
  const partitionKey = record.PartitionKey ?? '';
  const plain = (note?: string): Unpacked => ({ users: [{ data, partitionKey, position: sequence }], note });
  if (!isAggregated(data)) return plain();
  const deaggregated = deaggregate(record, data);
  // As the KCL does: magic bytes with a bad checksum or body are taken as an ordinary record.
  if (deaggregated instanceof Error)
    return plain(`not a valid KPL aggregated record (${deaggregated.message})`);
  return {
    users: deaggregated.map((user, index) => {
      const sub = Number(user.subSequenceNumber ?? index);
      return {
        data: Buffer.from(user.data, 'base64'),
        partitionKey: user.partitionKey ?? partitionKey,
        subSequenceNumber: sub,
        position: `${sequence}:${sub}`,
      };
    }),
  };
}

/**
 * Consumes one Kinesis record into `part`: de-aggregated if the KPL packed it, each user record decoded
 * or dead-lettered. Caps count user records (after de-aggregation) and bytes, but a Kinesis record is
 * consumed whole: one that would take the shard past a cap is left for the next batch (returns false),
 * unless it is the first of the batch, which is always taken so that a shard always makes progress.
 */
export function consume<T>(
  shard: string,
  record: _Record,
  part: ShardPart<T>,
  decode: RecordDecoder<T>,
  caps: Caps,
): boolean {
  const sequence = record.SequenceNumber!;
  const size = record.Data?.byteLength ?? 0;
  const unpacked = unpack(record);
  if (
    part.kinesisRecords > 0 &&
    (part.count + unpacked.users.length > caps.records || part.bytes + size > caps.bytes)
  ) {
    return false;
  }
  part.kinesisRecords++;
  part.bytes += size;
  if (!part.first) part.first = sequence;
  part.last = sequence;
  const arrivalTime = record.ApproximateArrivalTimestamp?.getTime() ?? 0;
  for (const user of unpacked.users) {
    part.count++;
    const meta: RecordMeta = {
      partitionKey: user.partitionKey,
      sequenceNumber: sequence,
      arrivalTime,
      shard,
      ...(user.subSequenceNumber === undefined ? {} : { subSequenceNumber: user.subSequenceNumber }),
    };
    try {
      part.records.push(decode(user.data, meta));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      part.deadLetters.push({
        shard,
        position: user.position,
        data: new Uint8Array(user.data),
        error: unpacked.note ? `${message}; ${unpacked.note}` : message,
      });
    }
  }
  return true;
}

function isAggregated(data: Uint8Array): boolean {
  return data.length > KPL_MAGIC.length + 16 && KPL_MAGIC.every((byte, i) => data[i] === byte);
}

function deaggregate(record: _Record, data: Uint8Array): UserRecord[] | Error {
  let users: UserRecord[] | undefined;
  let failure: Error | undefined;
  const payload = {
    data: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64'),
    sequenceNumber: record.SequenceNumber!,
    partitionKey: record.PartitionKey ?? '',
    kinesisSchemaVersion: '1.0',
    approximateArrivalTimestamp: (record.ApproximateArrivalTimestamp?.getTime() ?? 0) / 1000,
  };
  // Checksums on: a corrupted aggregate must not turn into plausible-looking user records.
  deaggregateSync(payload, true, (error, records) => {
    if (error) failure ??= error instanceof Error ? error : new Error(String(error));
    else users = records;
  });
  return failure ?? users ?? new Error('deaggregation returned nothing');
}
