import type { GetRecordsCommandOutput } from '@aws-sdk/client-kinesis';
import type { RecordDecoder } from '../decoders';
import { SourceError } from '../errors';
import type { KinesisCalls } from './calls';
import { type OpenedIterator, openPosition } from './open-position';
import { type Caps, consume, emptyPart, type ShardPart } from './records';
import type { ShardReadRequest } from './shard-read-request';
import { type TrimmedPolicy, TrimmedPositionCheck } from './trimmed-position';

/** GetRecords' own ceiling per call. */
const GET_RECORDS_LIMIT = 10_000;
/** Iterators expire 5 minutes after Kinesis hands them out; one older than this is not reused. */
const ITERATOR_REUSE_MS = 4 * 60_000;

type Kept = OpenedIterator;

/** What the last read of a shard left: how to retry it, and how to go on after it. */
interface Memory {
  /** The committed position (`after` range's last, '' for none) the read started from... */
  basis: string;
  /** ...with this iterator: a retried batch (same basis) starts here again and sees the same records. */
  start: Kept;
  /** The position after what the read consumed ('' for none), and where the next batch continues from it. */
  nextBasis: string;
  next?: Kept;
}

/**
 * Reads shards for one KinesisSource, keeping each shard's iterator in memory across batches: a read that
 * stopped on empty pages (Kinesis may answer several before records that follow a quiet period) or at the
 * tip is continued by the next batch from where it stopped, instead of re-opening at the committed
 * sequence number, so progress through empty pages accumulates and GetShardIterator is rarely called. A
 * kept iterator is used only for the committed position it was obtained for; a retried batch restarts
 * from the iterator its first attempt started from, and sees the same records.
 */
export class ShardReader<T> {
  private readonly memory = new Map<string, Memory>();
  private readonly trim: TrimmedPositionCheck;

  constructor(
    private readonly calls: KinesisCalls,
    private readonly decode: RecordDecoder<T>,
    private readonly caps: Caps,
    onTrimmed: TrimmedPolicy,
  ) {
    this.trim = new TrimmedPositionCheck(calls, onTrimmed);
  }

  async read(request: ShardReadRequest): Promise<ShardPart<T>> {
    const { shard, basis } = request;
    const clock = this.calls.clock;
    const part = emptyPart<T>();
    const start = this.kept(shard, basis) ?? (await this.open(request));
    if (start === undefined) {
      this.memory.delete(shard);
      part.ended = true;
      return part;
    }
    let cursor: Kept = { ...start };
    let cut = false;
    for (let calls = 0; ; calls++) {
      if (part.count >= this.caps.records || part.bytes >= this.caps.bytes) break;
      // Always one call per batch; more only while they can start within the budget.
      if (calls > 0 && this.calls.getRecordsLimit.nextSlot(shard) > request.deadline) break;
      // One more when the committed record is read again (it is dropped, not counted).
      const limitFor = (at: Kept) =>
        Math.min(GET_RECORDS_LIMIT, this.caps.records - part.count + (at.expect ? 1 : 0));
      // Before the call (and any wait for the rate limit): the earliest time its answer can speak for.
      const sentAt = clock.now();
      const answer = await this.getRecords(request, cursor, part, limitFor);
      const out = answer?.out;
      const limit = answer?.limit ?? 0;
      if (out === undefined) {
        part.ended = true;
        break;
      }
      const records = out.Records ?? [];
      part.millisBehindLatest = out.MillisBehindLatest;
      const atTip = out.MillisBehindLatest === 0 && records.length < limit;
      const lost = await this.trim.judge(request, cursor, records[0], atTip);
      for (const record of records) {
        if (!this.trim.admit(request, cursor, record, part, lost)) continue;
        if (!consume(shard, record, part, this.decode, this.caps)) {
          cut = true;
          break;
        }
      }
      if (cut) break;
      // Every record there was when Kinesis answered is consumed, and the position it continues is proven.
      if (atTip && cursor.expect === undefined && cursor.gapFrom === undefined) part.caughtUpAt = sentAt;
      if (!out.NextShardIterator) {
        part.ended = true;
        break;
      }
      cursor = { ...cursor, iterator: out.NextShardIterator, obtainedAt: clock.now() };
      // At the tip; a closed shard is polled on until Kinesis says it ended, which lets its children start.
      if (!request.closed && (out.MillisBehindLatest ?? 0) === 0 && records.length < limit) break;
    }
    if (part.ended) this.memory.delete(shard);
    else {
      // A page cut short by a cap leaves records behind its next iterator: the next batch re-opens.
      this.memory.set(shard, { basis, start, nextBasis: part.last || basis, next: cut ? undefined : cursor });
    }
    return part;
  }

  /** Forgets a shard (it was dropped from the stream's listing). */
  forget(shard: string): void {
    this.memory.delete(shard);
  }

  private kept(shard: string, basis: string): Kept | undefined {
    const memory = this.memory.get(shard);
    if (!memory) return undefined;
    const fresh = (kept?: Kept) =>
      kept && this.calls.clock.now() - kept.obtainedAt < ITERATOR_REUSE_MS ? kept : undefined;
    if (memory.nextBasis === basis && fresh(memory.next)) return memory.next;
    if (memory.basis === basis && fresh(memory.start)) return memory.start;
    return undefined;
  }

  /** A new iterator for the committed position (or the fresh start); undefined if the shard has ended. */
  private open(request: ShardReadRequest): Promise<Kept | undefined> {
    return openPosition(this.calls, this.trim, request);
  }

  /** GetRecords, re-opening once or twice if the iterator expired (5 minutes) during long waits. */
  private async getRecords(
    request: ShardReadRequest,
    cursor: Kept,
    part: ShardPart<T>,
    limitFor: (cursor: Kept) => number,
  ): Promise<{ out: GetRecordsCommandOutput; limit: number } | undefined> {
    for (let reopened = 0; ; reopened++) {
      try {
        const limit = limitFor(cursor);
        return { out: await this.calls.getRecords(request.shard, cursor.iterator, limit), limit };
      } catch (error) {
        const expired = error instanceof SourceError && error.context.code === 'ExpiredIteratorException';
        if (!expired || reopened >= 2) throw error;
        const again: Kept | undefined = part.last
          ? await this.calls
              .shardIterator(request.shard, { kind: 'after', sequence: part.last })
              .then((iterator) => (iterator ? { iterator, obtainedAt: this.calls.clock.now() } : undefined))
          : await this.open(request);
        if (again === undefined) return undefined;
        cursor.expect = cursor.gapFrom = cursor.openError = undefined;
        Object.assign(cursor, again);
      }
    }
  }
}
