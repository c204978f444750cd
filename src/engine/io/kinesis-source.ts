import {
  type _Record,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type GetShardIteratorCommandInput,
  type GetShardIteratorCommandOutput,
  type KinesisClient,
  ListShardsCommand,
  type ListShardsCommandOutput,
  type Shard,
} from '@aws-sdk/client-kinesis';
import { deaggregateSync, type UserRecord } from 'aws-kinesis-agg';
import { ConfigError } from '../util/errors';
import { type DecoderName, decoderFor, type RecordDecoder } from './decoders';
import { SourceError } from './errors';
import type { DeadLetter, Source, SourceBatch, SourceInterval, SourceRange } from './ports';

export interface KinesisBackoff {
  /** First retry waits about this long; each further retry doubles it. */
  baseMs: number;
  maxMs: number;
  /** Retries of one throttled call before the read fails. */
  maxRetries: number;
}

/** The part of KinesisClient the source uses, so tests can pass a stub `{ send }`. */
export type KinesisSender = Pick<KinesisClient, 'send'>;

export interface KinesisSourceOptions<T> {
  streamName: string;
  client: KinesisSender;
  /** Decodes each user record (after KPL deaggregation); default utf8. */
  decoder?: DecoderName | RecordDecoder<T>;
  /**
   * Where a shard without a recorded position starts (default TRIM_HORIZON). Children of a resharded
   * shard that was being read always start at TRIM_HORIZON so nothing written after the reshard is lost.
   */
  startingPosition?: 'TRIM_HORIZON' | 'LATEST';
  /** At most this many Kinesis records (an aggregated KPL record counts once) per shard and batch. */
  maxRecordsPerShard?: number;
  /**
   * How many shards are read at once (default 16). A batch's read then takes about as long as its
   * slowest shards rather than all of them in turn; Kinesis limits reads per shard, so this adds no
   * throttling of its own. 1 reads the shards one by one.
   */
  readConcurrency?: number;
  backoff?: Partial<KinesisBackoff>;
  sleep?: (ms: number) => Promise<void>;
}

const DEFAULT_BACKOFF: KinesisBackoff = { baseMs: 100, maxMs: 5000, maxRetries: 6 };
const DEFAULT_READ_CONCURRENCY = 16;
/** GetRecords' own ceiling per call. */
const GET_RECORDS_LIMIT = 10_000;
/** Kinesis may answer empty pages while behind (gaps in a shard); bounds one batch's polling of a shard. */
const MAX_EMPTY_POLLS = 10;
const KPL_MAGIC = [0xf3, 0x89, 0x9a, 0xc2];
const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'LimitExceededException',
  'ThrottlingException',
  'KMSThrottlingException',
]);

type Start =
  | { kind: 'after' | 'at'; sequence: string }
  | { kind: 'type'; type: 'TRIM_HORIZON' | 'LATEST' }
  | { kind: 'pinned'; iterator: string };

/** How one shard fared in one read: `part` and `range` when it was read. */
interface ShardStep<T> {
  /** The shard is closed and holds nothing more for us: its children may start. */
  exhausted: boolean;
  part?: ShardPart<T>;
  range?: SourceRange;
}

/** What one shard yielded in one read or replay. */
interface ShardPart<T> {
  records: T[];
  deadLetters: DeadLetter[];
  /** Sequence numbers of the first and last Kinesis record consumed ('' when none). */
  first: string;
  last: string;
  /** User records decoded plus dead letters: everything consumed, what SourceRange.count records. */
  count: number;
  kinesisRecords: number;
  /** The shard is closed and was read to its end. */
  ended: boolean;
  /** Iterator the read started from and the one to continue with. */
  startIterator?: string;
  nextIterator?: string;
}

/**
 * Kinesis Data Streams as a replayable source. Positions are Kinesis sequence numbers, one SourceRange
 * per shard read, so a batch continues after the last committed one and a lost block is read again
 * from its recorded range.
 *
 * Resharding: a closed shard is read to its end before any of its children; once a child appears in the
 * committed ranges the parent is known to be exhausted and is no longer listed in the ranges.
 *
 * Shards are read `readConcurrency` at a time, a child as soon as its parents are settled, but a batch
 * lists records, ranges and dead letters in shard-id order: its content never depends on which read
 * finished first.
 *
 * LATEST: the tip is resolved when a shard is first read and its iterator kept in memory until the shard
 * yields a record, so records written between two batches are not skipped. Only if the coordinator
 * restarts before that first record is the tip resolved again.
 */
export class KinesisSource<T = string> implements Source<T> {
  readonly streamName: string;
  private readonly client: KinesisSender;
  private readonly decode: RecordDecoder<T>;
  private readonly startingPosition: 'TRIM_HORIZON' | 'LATEST';
  private readonly maxRecordsPerShard: number;
  private readonly readConcurrency: number;
  private readonly backoff: KinesisBackoff;
  private readonly sleep: (ms: number) => Promise<void>;
  /** LATEST iterators of shards that have not yielded a record yet (see the class comment). */
  private readonly pinned = new Map<string, string>();

  constructor(options: KinesisSourceOptions<T>) {
    if (typeof options.streamName !== 'string' || options.streamName === '') {
      throw new ConfigError('KinesisSource needs a streamName');
    }
    if (!options.client || typeof options.client.send !== 'function') {
      throw new ConfigError('KinesisSource needs a Kinesis client', { stream: options.streamName });
    }
    const startingPosition = options.startingPosition ?? 'TRIM_HORIZON';
    if (startingPosition !== 'TRIM_HORIZON' && startingPosition !== 'LATEST') {
      throw new ConfigError(
        `startingPosition must be 'TRIM_HORIZON' or 'LATEST', not ${String(startingPosition)}`,
      );
    }
    const cap = options.maxRecordsPerShard ?? Number.POSITIVE_INFINITY;
    if (!(cap >= 1) || (cap !== Number.POSITIVE_INFINITY && !Number.isInteger(cap))) {
      throw new ConfigError(
        `maxRecordsPerShard must be a whole number of records of at least 1, not ${String(cap)}; ` +
          'pass e.g. 10000 to cap what one batch reads from a shard, or leave it out for no cap',
        { maxRecordsPerShard: cap },
      );
    }
    const readConcurrency = options.readConcurrency ?? DEFAULT_READ_CONCURRENCY;
    if (!Number.isInteger(readConcurrency) || readConcurrency < 1) {
      throw new ConfigError(
        `readConcurrency must be a whole number of shards to read at once, at least 1 (1 reads them one ` +
          `by one; the default is ${DEFAULT_READ_CONCURRENCY}), not ${String(readConcurrency)}`,
        { stream: options.streamName, readConcurrency },
      );
    }
    const backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    if (
      !(
        backoff.baseMs >= 0 &&
        backoff.maxMs >= 0 &&
        Number.isInteger(backoff.maxRetries) &&
        backoff.maxRetries >= 0
      )
    ) {
      throw new ConfigError('backoff needs baseMs >= 0, maxMs >= 0 and an integer maxRetries >= 0', {
        backoff,
      });
    }
    this.streamName = options.streamName;
    this.client = options.client;
    this.decode = decoderFor<T>(options.decoder ?? 'utf8');
    this.startingPosition = startingPosition;
    this.maxRecordsPerShard = cap;
    this.readConcurrency = readConcurrency;
    this.backoff = backoff;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Fails at start, with how to fix it, when the stream does not exist or cannot be listed. */
  async validate(): Promise<void> {
    await this.listShards();
  }

  async read(_interval: SourceInterval, after: readonly SourceRange[] | undefined): Promise<SourceBatch<T>> {
    const shards = (await this.listShards()).sort((a, b) => compareIds(a.ShardId!, b.ShardId!));
    const known = new Map(shards.map((s) => [s.ShardId!, s]));
    const children = new Map<string, string[]>();
    for (const shard of shards) {
      for (const parent of parentsOf(shard)) {
        children.set(parent, [...(children.get(parent) ?? []), shard.ShardId!]);
      }
    }
    const committed = new Map((after ?? []).map((r) => [r.shard, r]));
    const firstBatch = after === undefined;
    const startedDescendant = memo((id: string, self: (id: string) => boolean): boolean =>
      (children.get(id) ?? []).some((child) => committed.has(child) || self(child)),
    );

    // Each shard is read as soon as its parents are settled rather than in waves, so a child does not
    // wait for unrelated slow shards; `steps` keeps shard order for the batch.
    const slot = readSlots(this.readConcurrency);
    const steps = new Map<string, Promise<ShardStep<T>>>();
    const step = async (shard: Shard): Promise<ShardStep<T>> => {
      const id = shard.ShardId!;
      const closed = shard.SequenceNumberRange?.EndingSequenceNumber !== undefined;
      // Children are only started once a parent is exhausted, so a started descendant proves it.
      if (closed && startedDescendant(id)) return { exhausted: true };
      const previous = committed.get(id);
      if (!previous) {
        // What was closed before a LATEST job started is history it never wanted.
        if (firstBatch && closed && this.startingPosition === 'LATEST') return { exhausted: true };
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
        const start = this.startFor(shard, previous, firstBatch, known);
        const part = await this.readShard(id, start, closed);
        this.keepPin(id, start, part);
        const range = {
          shard: id,
          first: part.first,
          last: part.last || previous?.last || '',
          count: part.count,
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
    const slot = readSlots(this.readConcurrency);
    const parts = await settleInOrder(
      ranges.map(async (range) => (range.count === 0 ? undefined : slot(() => this.replayRange(range)))),
    );
    const records: T[] = [];
    for (const part of parts) for (const record of part?.records ?? []) records.push(record);
    return records;
  }

  private startFor(
    shard: Shard,
    previous: SourceRange | undefined,
    firstBatch: boolean,
    known: Map<string, Shard>,
  ): Start {
    const id = shard.ShardId!;
    if (previous?.last) {
      this.pinned.delete(id);
      return { kind: 'after', sequence: previous.last };
    }
    const pin = this.pinned.get(id);
    if (pin) return { kind: 'pinned', iterator: pin };
    const root = parentsOf(shard).every((p) => !known.has(p));
    // A child found after the first batch comes from a reshard we followed: read it from its start.
    const latest = this.startingPosition === 'LATEST' && (firstBatch || root);
    return { kind: 'type', type: latest ? 'LATEST' : 'TRIM_HORIZON' };
  }

  /** Keeps a LATEST start until the shard yields a record (then the range carries a sequence number). */
  private keepPin(id: string, start: Start, part: ShardPart<T>): void {
    const fromLatest = start.kind === 'pinned' || (start.kind === 'type' && start.type === 'LATEST');
    if (!fromLatest) return;
    // Nothing consumed: the next iterator is the same position with a fresh 5-minute expiry. Something
    // consumed: keep the start, so a retried read of this same batch sees the same records.
    const pin = part.kinesisRecords === 0 ? (part.nextIterator ?? part.startIterator) : part.startIterator;
    if (pin && !part.ended) this.pinned.set(id, pin);
    else this.pinned.delete(id);
  }

  private async readShard(shard: string, start: Start, closed: boolean): Promise<ShardPart<T>> {
    const part = emptyPart<T>();
    const cursor = await this.openCursor(shard, start, part);
    part.startIterator = cursor.iterator;
    if (cursor.iterator === undefined) {
      part.ended = true;
      return part;
    }
    let emptyPolls = 0;
    for (;;) {
      const limit = Math.min(GET_RECORDS_LIMIT, this.maxRecordsPerShard - part.kinesisRecords);
      if (limit <= 0) break;
      const out = await this.getRecords(shard, cursor, limit);
      const records = out.Records ?? [];
      for (const record of records) this.consume(shard, record, part);
      if (!out.NextShardIterator) {
        part.ended = true;
        break;
      }
      cursor.iterator = part.nextIterator = out.NextShardIterator;
      emptyPolls = records.length === 0 ? emptyPolls + 1 : 0;
      if (emptyPolls >= MAX_EMPTY_POLLS) break;
      // A closed shard is polled on until Kinesis says it ended, which lets its children start.
      if (!closed && (out.MillisBehindLatest ?? 0) === 0 && records.length < limit) break;
    }
    return part;
  }

  private async replayRange(range: SourceRange): Promise<ShardPart<T>> {
    const { shard } = range;
    const gone = (why: string, cause?: unknown) =>
      new SourceError(
        `Kinesis stream "${this.streamName}" shard ${shard} no longer has records ${range.first}..${range.last} ` +
          `(${why}): they were trimmed after the stream's retention period, or the stream or shard was deleted, ` +
          'so this input block cannot be replayed',
        { stream: this.streamName, shard, first: range.first, last: range.last, count: range.count },
        cause === undefined ? undefined : { cause },
      );
    if (!range.first || !range.last) {
      throw new SourceError(`range of shard ${shard} holds ${range.count} records but no sequence numbers`, {
        stream: this.streamName,
        range,
      });
    }
    const last = BigInt(range.last);
    const part = emptyPart<T>();
    const cursor = await this.openCursor(shard, { kind: 'at', sequence: range.first }, part, gone);
    let emptyPolls = 0;
    while (cursor.iterator !== undefined) {
      // Each Kinesis record yields at least one user record, so this never reads far past `last`.
      const limit = Math.min(GET_RECORDS_LIMIT, Math.max(1, range.count - part.count));
      const out = await this.getRecords(shard, cursor, limit, gone);
      const records = out.Records ?? [];
      for (const record of records) {
        if (part.kinesisRecords === 0 && record.SequenceNumber !== range.first) {
          throw gone(`the oldest record left is ${record.SequenceNumber}`);
        }
        if (BigInt(record.SequenceNumber!) > last) break;
        this.consume(shard, record, part);
        if (record.SequenceNumber === range.last) return this.checkReplayed(range, part);
      }
      if (records.length > 0 && BigInt(records[records.length - 1].SequenceNumber!) > last) break;
      emptyPolls = records.length === 0 ? emptyPolls + 1 : 0;
      if (emptyPolls > 0 && ((out.MillisBehindLatest ?? 0) === 0 || emptyPolls >= MAX_EMPTY_POLLS)) break;
      cursor.iterator = out.NextShardIterator;
    }
    throw gone(
      part.kinesisRecords === 0 ? 'none of them is left' : `the shard has nothing after ${part.last}`,
    );
  }

  private checkReplayed(range: SourceRange, part: ShardPart<T>): ShardPart<T> {
    if (part.count !== range.count) {
      throw new SourceError(
        `replaying shard ${range.shard} of Kinesis stream "${this.streamName}" gave ${part.count} records where ` +
          `the batch recorded ${range.count}; the records of ${range.first}..${range.last} changed`,
        { stream: this.streamName, range, replayed: part.count },
      );
    }
    return part;
  }

  /** One Kinesis record: deaggregated if the KPL packed it, each user record decoded or dead-lettered. */
  private consume(shard: string, record: _Record, part: ShardPart<T>): void {
    const sequence = record.SequenceNumber!;
    const data = record.Data ?? new Uint8Array(0);
    part.kinesisRecords++;
    if (!part.first) part.first = sequence;
    part.last = sequence;
    if (!isAggregated(data)) {
      this.decodeInto(shard, sequence, data, part);
      return;
    }
    const deaggregated = deaggregate(record, data);
    if (deaggregated instanceof Error) {
      // As the KCL does: magic bytes with a bad checksum or body are taken as an ordinary record.
      this.decodeInto(
        shard,
        sequence,
        data,
        part,
        `not a valid KPL aggregated record (${deaggregated.message})`,
      );
      return;
    }
    deaggregated.forEach((user, index) => {
      const bytes = Buffer.from(user.data, 'base64');
      this.decodeInto(shard, `${sequence}:${user.subSequenceNumber ?? index}`, bytes, part);
    });
  }

  private decodeInto(
    shard: string,
    position: string,
    data: Uint8Array,
    part: ShardPart<T>,
    note?: string,
  ): void {
    part.count++;
    try {
      part.records.push(this.decode(data));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      part.deadLetters.push({
        shard,
        position,
        data: new Uint8Array(data),
        error: note ? `${message}; ${note}` : message,
      });
    }
  }

  private async listShards(): Promise<Shard[]> {
    const shards: Shard[] = [];
    let nextToken: string | undefined;
    do {
      // Kinesis refuses StreamName together with NextToken.
      const input = nextToken ? { NextToken: nextToken } : { StreamName: this.streamName };
      const out: ListShardsCommandOutput = await this.call('ListShards', undefined, () =>
        this.client.send(new ListShardsCommand(input)),
      );
      shards.push(...(out.Shards ?? []));
      nextToken = out.NextToken;
    } while (nextToken);
    return shards;
  }

  /** An iterator at `start`, able to resume after what `part` consumed if the iterator expires. */
  private async openCursor(
    shard: string,
    start: Start,
    part: ShardPart<T>,
    notFound?: (why: string, cause: unknown) => SourceError,
  ): Promise<Cursor> {
    const resume = (): Start => {
      if (part.last) return { kind: 'after', sequence: part.last };
      // An expired pin can only be replaced by a fresh tip.
      return start.kind === 'pinned' ? { kind: 'type', type: 'LATEST' } : start;
    };
    const open = (from: Start) => this.shardIterator(shard, from, notFound);
    return { iterator: await open(start), reopen: () => open(resume()) };
  }

  private async shardIterator(
    shard: string,
    start: Start,
    notFound?: (why: string, cause: unknown) => SourceError,
  ): Promise<string | undefined> {
    if (start.kind === 'pinned') return start.iterator;
    const input: GetShardIteratorCommandInput =
      start.kind === 'type'
        ? { StreamName: this.streamName, ShardId: shard, ShardIteratorType: start.type }
        : {
            StreamName: this.streamName,
            ShardId: shard,
            ShardIteratorType: start.kind === 'after' ? 'AFTER_SEQUENCE_NUMBER' : 'AT_SEQUENCE_NUMBER',
            StartingSequenceNumber: start.sequence,
          };
    const out: GetShardIteratorCommandOutput = await this.call(
      'GetShardIterator',
      shard,
      () => this.client.send(new GetShardIteratorCommand(input)),
      notFound,
    );
    return out.ShardIterator;
  }

  private async getRecords(
    shard: string,
    cursor: Cursor,
    limit: number,
    notFound?: (why: string, cause: unknown) => SourceError,
  ): Promise<GetRecordsCommandOutput> {
    for (let reopened = 0; ; reopened++) {
      const iterator = cursor.iterator;
      if (iterator === undefined) return { Records: [], NextShardIterator: undefined, $metadata: {} };
      try {
        return await this.call(
          'GetRecords',
          shard,
          () => this.client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: limit })),
          notFound,
        );
      } catch (error) {
        // Iterators live 5 minutes; long backoffs or slow batches can outlive one.
        if (
          !(error instanceof SourceError && error.context.code === 'ExpiredIteratorException') ||
          reopened >= 2
        ) {
          throw error;
        }
        cursor.iterator = await cursor.reopen();
      }
    }
  }

  /** Runs one Kinesis call, retrying throttling with exponential backoff and jitter. */
  private async call<R>(
    operation: string,
    shard: string | undefined,
    run: () => Promise<R>,
    notFound?: (why: string, cause: unknown) => SourceError,
  ): Promise<R> {
    const where = `Kinesis stream "${this.streamName}"${shard ? ` shard ${shard}` : ''}`;
    for (let attempt = 0; ; attempt++) {
      try {
        return await run();
      } catch (error) {
        const code = errorCode(error);
        const context = { stream: this.streamName, shard, operation, code };
        if (isUnavailable(error) && attempt < this.backoff.maxRetries) {
          // The endpoint restarted or a connection dropped: the service comes back, so wait and retry.
          await this.sleep(this.delay(attempt));
          continue;
        }
        if (THROTTLING.has(code)) {
          if (attempt < this.backoff.maxRetries) {
            await this.sleep(this.delay(attempt));
            continue;
          }
          throw new SourceError(
            `${where} is still throttled (${code}) after ${attempt} retries of ${operation}; ` +
              'read less per batch (maxRecordsPerShard), share the stream with fewer readers, or add shards',
            { ...context, retries: attempt },
            { cause: error },
          );
        }
        if (code === 'ResourceNotFoundException') {
          if (notFound) throw notFound(errorMessage(error), error);
          if (operation === 'ListShards') throw this.noSuchStream(error);
        }
        throw new SourceError(`${operation} on ${where} failed: ${code}: ${errorMessage(error)}`, context, {
          cause: error,
        });
      }
    }
  }

  /** Equal jitter: at least half the exponential delay, so retries never stampede at ~0 ms. */
  private delay(attempt: number): number {
    const ceiling = Math.min(this.backoff.maxMs, this.backoff.baseMs * 2 ** attempt);
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  }

  private noSuchStream(cause: unknown): SourceError {
    return new SourceError(
      `Kinesis stream "${this.streamName}" does not exist (or is not visible to these credentials, region and ` +
        `endpoint). Create it first, e.g. \`aws kinesis create-stream --stream-name ${this.streamName} ` +
        '--shard-count 1` or CreateStreamCommand, and wait until it is ACTIVE',
      { stream: this.streamName, code: 'ResourceNotFoundException' },
      { cause },
    );
  }
}

interface Cursor {
  iterator: string | undefined;
  reopen: () => Promise<string | undefined>;
}

/**
 * Runs reads at most `limit` at a time, in the order they were asked for. Once one fails the batch is
 * lost, so reads still waiting for a slot are not started and resolve to undefined.
 */
function readSlots(limit: number) {
  let free = limit;
  let failed = false;
  const waiting: (() => void)[] = [];
  return async <R>(read: () => Promise<R>): Promise<R | undefined> => {
    if (free > 0) free--;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return failed ? undefined : await read();
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      const next = waiting.shift();
      if (next) next();
      else free++;
    }
  };
}

/**
 * The values in order, or the first failure in order; waits for every read either way, so none runs on
 * (and moves a LATEST pin) after the caller has moved on, e.g. to retry the batch.
 */
async function settleInOrder<R>(promises: readonly Promise<R>[]): Promise<R[]> {
  const values: R[] = [];
  for (const settled of await Promise.allSettled(promises)) {
    if (settled.status === 'rejected') throw settled.reason;
    values.push(settled.value);
  }
  return values;
}

function emptyPart<T>(): ShardPart<T> {
  return { records: [], deadLetters: [], first: '', last: '', count: 0, kinesisRecords: 0, ended: false };
}

function parentsOf(shard: Shard): string[] {
  return [shard.ParentShardId, shard.AdjacentParentShardId].filter((p): p is string => !!p);
}

/** Shard ids are zero-padded (shardId-000000000012); longer ids sort later in case the padding ever runs out. */
function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

function memo<K, V>(compute: (key: K, self: (key: K) => V) => V): (key: K) => V {
  const cache = new Map<K, V>();
  const self = (key: K): V => {
    if (!cache.has(key)) cache.set(key, compute(key, self));
    return cache.get(key)!;
  };
  return self;
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

function errorCode(error: unknown): string {
  if (error && typeof error === 'object') {
    const e = error as { name?: unknown; code?: unknown; Code?: unknown };
    for (const candidate of [e.name, e.code, e.Code]) {
      if (typeof candidate === 'string' && candidate !== 'Error') return candidate;
    }
  }
  return 'Error';
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'EAI_AGAIN',
]);

/** A dropped connection, a refused one, a timeout or a 5xx: transient, unlike a bad request. */
function isUnavailable(error: unknown): boolean {
  const e = error as { code?: unknown; name?: unknown; $metadata?: { httpStatusCode?: number } };
  if (typeof e?.code === 'string' && NETWORK_CODES.has(e.code)) return true;
  if (e?.name === 'TimeoutError' || e?.name === 'InternalFailure' || e?.name === 'ServiceUnavailable')
    return true;
  return (e?.$metadata?.httpStatusCode ?? 0) >= 500;
}
