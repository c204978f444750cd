import type { RecordDecoder } from '../decoders';
import { SourceError } from '../errors';
import type { SourceRange } from '../ports';
import type { KinesisCalls, NotFound } from './calls';
import { consume, emptyPart, type ShardPart } from './records';

const GET_RECORDS_LIMIT = 10_000;
/** Empty pages (with MillisBehindLatest > 0) a replay polls through before it gives up on a range. */
const MAX_EMPTY_POLLS = 300;
const NO_CAPS = { records: Number.POSITIVE_INFINITY, bytes: Number.POSITIVE_INFINITY };

/**
 * Reads exactly the records of a recorded range again (a lost input block), from its first sequence
 * number to its last, and checks that it yields as many records as the batch recorded.
 */
export async function replayRange<T>(
  calls: KinesisCalls,
  decode: RecordDecoder<T>,
  range: SourceRange,
): Promise<ShardPart<T>> {
  const { shard } = range;
  const stream = calls.streamName;
  const gone: NotFound = (why, cause) =>
    new SourceError(
      `Kinesis stream "${stream}" shard ${shard} no longer has records ${range.first}..${range.last} ` +
        `(${why}): they were trimmed after the stream's retention period, or the stream or shard was deleted, ` +
        'so this input block cannot be replayed',
      { stream, shard, first: range.first, last: range.last, count: range.count },
      cause === undefined ? undefined : { cause },
    );
  if (!range.first || !range.last) {
    throw new SourceError(`range of shard ${shard} holds ${range.count} records but no sequence numbers`, {
      stream,
      range,
    });
  }
  const last = BigInt(range.last);
  const part = emptyPart<T>();
  let iterator = await calls.shardIterator(shard, { kind: 'at', sequence: range.first }, gone);
  let emptyPolls = 0;
  while (iterator !== undefined) {
    // Each Kinesis record yields at least one user record, so this never reads far past `last`.
    const limit = Math.min(GET_RECORDS_LIMIT, Math.max(1, range.count - part.count));
    let out: Awaited<ReturnType<KinesisCalls['getRecords']>>;
    try {
      out = await calls.getRecords(shard, iterator, limit, gone);
    } catch (error) {
      const expired = error instanceof SourceError && error.context.code === 'ExpiredIteratorException';
      if (!expired) throw error;
      const from = part.last ? { kind: 'after' as const, sequence: part.last } : undefined;
      iterator = await calls.shardIterator(shard, from ?? { kind: 'at', sequence: range.first }, gone);
      continue;
    }
    const records = out.Records ?? [];
    for (const record of records) {
      if (part.kinesisRecords === 0 && record.SequenceNumber !== range.first) {
        throw gone(`the oldest record left is ${record.SequenceNumber}`, undefined);
      }
      if (BigInt(record.SequenceNumber!) > last) break;
      consume(shard, record, part, decode, NO_CAPS);
      if (record.SequenceNumber === range.last) return checkReplayed(stream, range, part);
    }
    if (records.length > 0 && BigInt(records[records.length - 1].SequenceNumber!) > last) break;
    emptyPolls = records.length === 0 ? emptyPolls + 1 : 0;
    if (emptyPolls > 0 && ((out.MillisBehindLatest ?? 0) === 0 || emptyPolls >= MAX_EMPTY_POLLS)) break;
    iterator = out.NextShardIterator;
  }
  throw gone(
    part.kinesisRecords === 0 ? 'none of them is left' : `the shard has nothing after ${part.last}`,
    undefined,
  );
}

function checkReplayed<T>(stream: string, range: SourceRange, part: ShardPart<T>): ShardPart<T> {
  if (part.count !== range.count) {
    throw new SourceError(
      `replaying shard ${range.shard} of Kinesis stream "${stream}" gave ${part.count} records where ` +
        `the batch recorded ${range.count}; the records of ${range.first}..${range.last} changed`,
      { stream, range, replayed: part.count },
    );
  }
  return part;
}
