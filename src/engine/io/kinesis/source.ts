import type { Shard } from '@aws-sdk/client-kinesis';
import { ConfigError } from '../../util/errors';
import { SystemClock } from '../clock';
import { decoderFor, type RecordDecoder } from '../decoders';
import type { DeadLetter, Source, SourceBatch, SourceInterval, SourceRange } from '../ports';
import { retryPolicy } from '../retry';
import { KinesisCalls, type Start } from './calls';
import { KinesisDirectRead } from './direct-read';
import {
  checkBudget,
  checkCap,
  checkMs,
  checkReadConcurrency,
  checkReadIn,
  checkTrimmedPolicy,
  DEFAULT_MAX_BYTES_PER_SHARD,
  DEFAULT_MAX_RECORDS_PER_SHARD,
  DEFAULT_READ_CONCURRENCY,
  DEFAULT_SETTLE_MS,
  DEFAULT_SHARD_LIST_REFRESH_MS,
  KINESIS_RETRY,
  type KinesisSourceOptions,
  type ResolvedStart,
  resolveStartingPosition,
} from './options';
import { PlannedRead } from './planned-read';
import { RangePlanner } from './range-planner';
import type { ShardPart } from './records';
import { replayRange } from './replay';
import { ShardReader } from './shard-reader';
import { compareIds, parentsOf, readSlots, settleInOrder, shardFamily } from './shards';
import { TrimmedPositionCheck } from './trimmed-position';

/** How one shard fared in one read: `part` and `range` when it was read. */
interface ShardStep<T> {
  /** The shard is closed and holds nothing more for us: its children may start. */
  exhausted: boolean;
  part?: ShardPart<T>;
  range?: SourceRange;
}

/**
 * Kinesis Data Streams as a replayable source. By default (readIn 'tasks') the coordinator only plans
 * each batch's ranges and map tasks read their shards themselves (`direct`, see KinesisDirectRead);
 * `read` below is the coordinator-read mode (readIn 'coordinator'), whose records become input blocks.
 *
 * Positions are Kinesis sequence numbers, one SourceRange
 * per shard read, so a batch continues after the last committed one and a lost block is read again
 * from its recorded range. Each range also records the shard's MillisBehindLatest, and a trimmed gap
 * skipped on request (onTrimmedPosition: 'skip').
 *
 * Trimmed positions: a committed record that expired from the stream is a lost gap only if records after
 * it may have expired too. Each range records `caughtUpAt`, the last time a read of the shard answered at
 * the tip with everything consumed (carried forward while the shard is behind): no record after `last`
 * had arrived by then. Records after it arrived later, so while less than the retention period (less
 * 5 minutes) has passed since `caughtUpAt`, none of them can have expired, and a shard that was merely
 * quiet for longer than the retention period goes on without error. Beyond that (a job stopped for about
 * the retention period, or a shard that never caught up) the gap is reported (onTrimmedPosition).
 *
 * Polling: Kinesis may answer several empty pages before the records after a quiet period. A shard is
 * polled while its next call can start within the batch's read budget, and its iterator is kept across
 * batches (see ShardReader), so progress through empty pages accumulates. GetRecords and GetShardIterator
 * stay within 5 calls per second per shard each (Kinesis' quota) in this process.
 *
 * Resharding: a closed shard is read to its end before any of its children; once a child appears in the
 * committed ranges the parent is known to be exhausted and is no longer listed in the ranges.
 *
 * Shards are read `readConcurrency` at a time, a child as soon as its parents are settled, but a batch
 * lists records, ranges and dead letters in shard-id order: its content never depends on which read
 * finished first.
 *
 * LATEST (and a timestamp): the start is resolved when a shard is first read and its iterator kept in
 * memory until the shard yields a record, so records written between two batches are not skipped. Only
 * if the coordinator restarts before that first record is the tip resolved again.
 */
export class KinesisSource<T = string> implements Source<T> {
  readonly streamName: string;
  private readonly decode: RecordDecoder<T>;
  private readonly start: ResolvedStart;
  private readonly readConcurrency: number;
  private readonly readBudgetMs: number | undefined;
  private readonly calls: KinesisCalls;
  private readonly reader: ShardReader<T>;
  /** Set unless readIn is 'coordinator': tasks read their own shards (see KinesisDirectRead). */
  readonly direct?: KinesisDirectRead<T>;

  constructor(options: KinesisSourceOptions<T>) {
    if (typeof options.streamName !== 'string' || options.streamName === '') {
      throw new ConfigError('KinesisSource needs a streamName');
    }
    if (!options.client || typeof options.client.send !== 'function') {
      throw new ConfigError('KinesisSource needs a Kinesis client', { stream: options.streamName });
    }
    const clock = options.clock ?? new SystemClock();
    this.streamName = options.streamName;
    this.start = resolveStartingPosition(options.startingPosition, clock.now());
    const caps = {
      records: checkCap(
        'maxRecordsPerShard',
        options.maxRecordsPerShard ?? DEFAULT_MAX_RECORDS_PER_SHARD,
        '10000',
      ),
      bytes: checkCap(
        'maxBytesPerShard',
        options.maxBytesPerShard ?? DEFAULT_MAX_BYTES_PER_SHARD,
        '10485760',
      ),
    };
    this.readConcurrency = checkReadConcurrency(
      options.streamName,
      options.readConcurrency ?? DEFAULT_READ_CONCURRENCY,
    );
    this.readBudgetMs = checkBudget(options.readBudgetMs);
    const onTrimmed = checkTrimmedPolicy(options.onTrimmedPosition ?? 'fail');
    this.decode = decoderFor<T>(options.decoder ?? 'utf8');
    const retry = retryPolicy({ ...options.retry, clock }, KINESIS_RETRY);
    this.calls = new KinesisCalls(options.streamName, options.client, retry, clock);
    this.reader = new ShardReader(this.calls, this.decode, caps, onTrimmed);
    if (checkReadIn(options.readIn ?? 'tasks') === 'tasks') {
      const settleMs = checkMs('settleMs', options.settleMs ?? DEFAULT_SETTLE_MS);
      const refreshMs = checkMs(
        'shardListRefreshMs',
        options.shardListRefreshMs ?? DEFAULT_SHARD_LIST_REFRESH_MS,
      );
      const trim = new TrimmedPositionCheck(this.calls, onTrimmed);
      this.direct = new KinesisDirectRead(
        this.calls,
        this.decode,
        new RangePlanner(this.calls, this.start, settleMs, refreshMs),
        new PlannedRead(this.calls, this.decode, caps, trim, settleMs),
        this.readConcurrency,
      );
    }
  }

  /** Fails at start, with how to fix it, when the stream does not exist or cannot be listed. */
  async validate(): Promise<void> {
    await this.calls.listShards();
  }

  async read(interval: SourceInterval, after: readonly SourceRange[] | undefined): Promise<SourceBatch<T>> {
    const shards = (await this.calls.listShards()).sort((a, b) => compareIds(a.ShardId!, b.ShardId!));
    const deadline = this.calls.clock.now() + (this.readBudgetMs ?? Math.max(0, interval.intervalMs / 2));
    const known = new Map(shards.map((s) => [s.ShardId!, s]));
    const { committed, startedDescendant } = shardFamily(shards, after);
    const firstBatch = after === undefined;

    // Each shard is read as soon as its parents are settled rather than in waves, so a child does not
    // wait for unrelated slow shards; `steps` keeps shard order for the batch.
    const slot = readSlots(this.readConcurrency);
    const steps = new Map<string, Promise<ShardStep<T>>>();
    const step = async (shard: Shard): Promise<ShardStep<T>> => {
      const id = shard.ShardId!;
      const closed = shard.SequenceNumberRange?.EndingSequenceNumber !== undefined;
      // Children are only started once a parent is exhausted, so a started descendant proves it.
      if (closed && startedDescendant(id)) {
        this.reader.forget(id);
        return { exhausted: true };
      }
      const previous = committed.get(id);
      if (!previous) {
        // What was closed before a LATEST job started is history it never wanted.
        if (firstBatch && closed && this.start.kind === 'type' && this.start.type === 'LATEST') {
          return { exhausted: true };
        }
        // Parents that expired from the stream cannot be read any more: do not wait for them. Looked up
        // now, while only shards sorting earlier have a step, so a parent sorting after its child counts
        // as not exhausted (as when shards were read one by one) and no two steps can wait on each other.
        const parents = parentsOf(shard)
          .filter((p) => known.has(p))
          .map((p) => steps.get(p));
        for (const parent of parents) {
          if (!(await parent)?.exhausted) return { exhausted: false };
        }
      }
      const read = await slot(async () => {
        const part = await this.reader.read({
          shard: id,
          closed,
          startingSequence: shard.SequenceNumberRange?.StartingSequenceNumber,
          basis: previous?.last ?? '',
          caughtUpAt: previous?.caughtUpAt,
          fresh: this.freshStart(shard, firstBatch, known),
          deadline,
        });
        // The latest evidence of being caught up after `last`: this read's, or carried forward.
        const caughtUpAt = part.caughtUpAt ?? previous?.caughtUpAt;
        const range: SourceRange = {
          shard: id,
          first: part.first,
          last: part.last || previous?.last || '',
          count: part.count,
          ...(part.millisBehindLatest === undefined ? {} : { millisBehindLatest: part.millisBehindLatest }),
          ...(caughtUpAt === undefined ? {} : { caughtUpAt }),
          ...(part.gap ? { gap: part.gap } : {}),
        };
        return { exhausted: part.ended, part, range };
      });
      // Not read because another shard's read failed: the batch fails with that error.
      return read ?? { exhausted: false };
    };
    for (const shard of shards) steps.set(shard.ShardId!, step(shard));

    const batch: SourceBatch<T> & { deadLetters: DeadLetter[] } = {
      records: [],
      ranges: [],
      deadLetters: [],
    };
    for (const { part, range } of await settleInOrder([...steps.values()])) {
      if (!part || !range) continue;
      for (const record of part.records) batch.records.push(record);
      for (const letter of part.deadLetters) batch.deadLetters.push(letter);
      batch.ranges.push(range);
    }
    return batch;
  }

  async replay(ranges: readonly SourceRange[], _interval: SourceInterval): Promise<T[]> {
    const records: T[] = [];
    for (const part of await this.replayParts(ranges))
      for (const record of part?.records ?? []) records.push(record);
    return records;
  }

  async replayDeadLetters(ranges: readonly SourceRange[], _interval: SourceInterval): Promise<DeadLetter[]> {
    return (await this.replayParts(ranges)).flatMap((part) => part?.deadLetters ?? []);
  }

  private replayParts(ranges: readonly SourceRange[]) {
    const slot = readSlots(this.readConcurrency);
    return settleInOrder(
      ranges.map(async (range) =>
        range.count === 0 ? undefined : slot(() => replayRange(this.calls, this.decode, range)),
      ),
    );
  }

  /** Where a shard without a committed position starts. */
  private freshStart(shard: Shard, firstBatch: boolean, known: Map<string, Shard>): Start {
    if (this.start.kind === 'type' && this.start.type === 'TRIM_HORIZON') return this.start;
    const root = parentsOf(shard).every((p) => !known.has(p));
    // A child found after the first batch comes from a reshard we followed: read it from its start.
    return firstBatch || root ? this.start : { kind: 'type', type: 'TRIM_HORIZON' };
  }
}
