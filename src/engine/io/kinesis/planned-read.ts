import type { _Record, GetRecordsCommandOutput } from '@aws-sdk/client-kinesis';
import type { RecordDecoder } from '../decoders';
import { SourceError } from '../errors';
import type { SourceRange } from '../ports';
import type { KinesisCalls, Start } from './calls';
import { type OpenedIterator, openPosition } from './open-position';
import { type Caps, consume, emptyPart, type ShardPart } from './records';
import type { TrimmedPositionCheck } from './trimmed-position';

/** GetRecords' own ceiling per call. */
const GET_RECORDS_LIMIT = 10_000;
/** Iterators expire 5 minutes after Kinesis hands them out; one older than this is not reused. */
const ITERATOR_REUSE_MS = 4 * 60_000;
/** Empty pages (MillisBehindLatest > 0, or a closed shard not yet at its end) polled before giving up. */
const MAX_EMPTY_POLLS = 300;

/** Where the last read of a shard in this process stopped: the next batch may go on from there. */
interface Kept {
  /** The range's `last` (and, with nothing read yet, `startAt`) this continues. */
  last: string;
  startAt?: number;
  iterator: string;
  obtainedAt: number;
  /** Records already fetched but not consumed (at or past the cutoff, or beyond a cap). */
  pending: readonly _Record[];
}

/**
 * The task's half of task-read Kinesis input: reads one planned range (see RangePlanner for the rule)
 * and says what it read. Reading stops at the first record that arrived at or after the cutoff (proof
 * enough), at a cap, at the shard's end, or at its tip once this clock is past cutoff + settleMs: a
 * record that arrived before the cutoff is readable by then. A warm process keeps the iterator and the
 * records fetched past where it stopped, and the next batch, continuing exactly there, starts from them.
 */
export class PlannedRead<T> {
  private readonly kept = new Map<string, Kept>();

  constructor(
    private readonly calls: KinesisCalls,
    private readonly decode: RecordDecoder<T>,
    private readonly caps: Caps,
    private readonly trim: TrimmedPositionCheck,
    private readonly settleMs: number,
  ) {}

  async read(range: SourceRange): Promise<{ part: ShardPart<T>; range: SourceRange }> {
    const { shard, plan } = range;
    if (!plan) throw new SourceError(`range of shard ${shard} has no plan to read by`, { shard });
    const { cutoff } = plan;
    const clock = this.calls.clock;
    const request = { shard, basis: range.last, caughtUpAt: range.caughtUpAt, fresh: this.fresh(range) };
    const part = emptyPart<T>();
    const memory = this.reuse(range);
    let cursor: OpenedIterator | undefined = memory ?? (await openPosition(this.calls, this.trim, request));
    let records: readonly _Record[] = memory?.pending ?? [];
    let leftover: readonly _Record[] = [];
    let stopped = false;
    let emptyPolls = 0;
    while (cursor) {
      let atTip = false;
      let fetched = false;
      let emptyPage = false;
      let sentAt = 0;
      let next: string | undefined = cursor.iterator;
      if (records.length === 0) {
        if (part.count >= this.caps.records || part.bytes >= this.caps.bytes) break;
        fetched = true;
        sentAt = clock.now();
        const limit = Math.min(GET_RECORDS_LIMIT, this.caps.records - part.count + (cursor.expect ? 1 : 0));
        const out = await this.getRecords(request, cursor, part, limit);
        if (!out) {
          part.ended = true;
          break;
        }
        records = out.Records ?? [];
        emptyPage = records.length === 0;
        part.millisBehindLatest = out.MillisBehindLatest;
        atTip = (out.MillisBehindLatest ?? 0) === 0 && records.length < limit;
        next = out.NextShardIterator;
        const lost = await this.trim.judge(request, cursor, records[0], atTip);
        const fetchedRecords = records.length;
        records = records.filter((record) => this.trim.admit(request, cursor!, record, part, lost));
        // A page of nothing but the record we reopened at is no proof of the tip: a closed shard's end
        // shows only on the next page. Reading on keeps a fresh read and a warm one in agreement.
        if (fetchedRecords > 0 && records.length === 0) atTip = false;
      }
      for (let i = 0; i < records.length && !stopped; i++) {
        const arrival = records[i].ApproximateArrivalTimestamp?.getTime() ?? 0;
        // A record past the cutoff proves the range complete; one beyond a cap waits for the next batch.
        if (arrival >= cutoff) part.caughtUpAt = cutoff;
        if (arrival >= cutoff || !consume(shard, records[i], part, this.decode, this.caps)) {
          leftover = records.slice(i);
          stopped = true;
        }
      }
      records = [];
      if (!next) {
        if (!stopped) part.ended = true;
        cursor = undefined;
        break;
      }
      cursor = { ...cursor, iterator: next, obtainedAt: fetched ? clock.now() : cursor.obtainedAt };
      if (stopped) break;
      if (!atTip || plan.closed) {
        // Behind the tip (empty pages after a quiet stretch), or a closed shard not yet at its end.
        emptyPolls = emptyPage ? emptyPolls + 1 : 0;
        if (emptyPolls > MAX_EMPTY_POLLS) throw this.tooManyPolls(range);
        continue;
      }
      const proven = cursor.expect === undefined && cursor.gapFrom === undefined;
      if (!fetched) continue;
      if (sentAt >= cutoff + this.settleMs) {
        if (proven) part.caughtUpAt = sentAt;
        break;
      }
      // At the tip before a late record could be readable: wait, then poll once more.
      await clock.sleepUntil(cutoff + this.settleMs);
    }
    this.remember(range, part, cursor, leftover);
    return { part, range: this.readRange(range, part) };
  }

  /** Where a shard without a position starts: its startAt, or its oldest record. */
  private fresh(range: SourceRange): Start {
    return range.startAt === undefined
      ? { kind: 'type', type: 'TRIM_HORIZON' }
      : { kind: 'timestamp', timestamp: new Date(range.startAt) };
  }

  private reuse(range: SourceRange): (OpenedIterator & { pending: readonly _Record[] }) | undefined {
    const kept = this.kept.get(range.shard);
    if (!kept || kept.last !== range.last || (!range.last && kept.startAt !== range.startAt))
      return undefined;
    if (this.calls.clock.now() - kept.obtainedAt >= ITERATOR_REUSE_MS) return undefined;
    return { iterator: kept.iterator, obtainedAt: kept.obtainedAt, pending: kept.pending };
  }

  /** Keeps where this read stopped, when the position it stands at is proven (nothing left to check). */
  private remember(
    range: SourceRange,
    part: ShardPart<T>,
    cursor: OpenedIterator | undefined,
    pending: readonly _Record[],
  ): void {
    if (!cursor || part.ended || cursor.expect !== undefined || cursor.gapFrom !== undefined) {
      this.kept.delete(range.shard);
      return;
    }
    const last = part.last || range.last;
    this.kept.set(range.shard, {
      last,
      ...(last ? {} : { startAt: range.startAt }),
      iterator: cursor.iterator,
      obtainedAt: cursor.obtainedAt,
      pending,
    });
  }

  /** The range as read: what the coordinator commits in place of the plan. */
  private readRange(range: SourceRange, part: ShardPart<T>): SourceRange {
    const last = part.last || range.last;
    const caughtUpAt = part.caughtUpAt ?? range.caughtUpAt;
    return {
      shard: range.shard,
      first: part.first,
      last,
      count: part.count,
      ...(range.partition === undefined ? {} : { partition: range.partition }),
      ...(part.millisBehindLatest === undefined ? {} : { millisBehindLatest: part.millisBehindLatest }),
      ...(caughtUpAt === undefined ? {} : { caughtUpAt }),
      ...(part.gap ? { gap: part.gap } : {}),
      ...(!last && range.startAt !== undefined ? { startAt: range.startAt } : {}),
      ...(part.ended ? { ended: true } : {}),
    };
  }

  /** GetRecords, re-opening once or twice if the iterator expired (5 minutes) during long waits. */
  private async getRecords(
    request: Parameters<typeof openPosition>[2],
    cursor: OpenedIterator,
    part: ShardPart<T>,
    limit: number,
  ): Promise<GetRecordsCommandOutput | undefined> {
    for (let reopened = 0; ; reopened++) {
      try {
        return await this.calls.getRecords(request.shard, cursor.iterator, limit);
      } catch (error) {
        const expired = error instanceof SourceError && error.context.code === 'ExpiredIteratorException';
        if (!expired || reopened >= 2) throw error;
        const again = part.last
          ? await this.calls
              .shardIterator(request.shard, { kind: 'after', sequence: part.last })
              .then((iterator) => (iterator ? { iterator, obtainedAt: this.calls.clock.now() } : undefined))
          : await openPosition(this.calls, this.trim, request);
        if (again === undefined) return undefined;
        cursor.expect = cursor.gapFrom = cursor.openError = undefined;
        Object.assign(cursor, again);
      }
    }
  }

  private tooManyPolls(range: SourceRange): SourceError {
    const stream = this.calls.streamName;
    return new SourceError(
      `Kinesis stream "${stream}" shard ${range.shard} answered ${MAX_EMPTY_POLLS} empty pages after ${range.last || 'its start'} without reaching its tip; the task fails and is retried`,
      { stream, shard: range.shard, after: range.last },
    );
  }
}
