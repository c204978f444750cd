import type { _Record, GetRecordsCommandOutput } from '@aws-sdk/client-kinesis';
import type { RecordDecoder } from '../decoders';
import { SourceError } from '../errors';
import type { KinesisCalls, Start } from './calls';
import { type Caps, consume, emptyPart, type ShardPart } from './records';
import { compareSequence } from './shards';

/** GetRecords' own ceiling per call. */
const GET_RECORDS_LIMIT = 10_000;
/** Iterators expire 5 minutes after Kinesis hands them out; one older than this is not reused. */
const ITERATOR_REUSE_MS = 4 * 60_000;
/** Kinesis keeps records for at least 24 hours: its smallest retention period. */
const MIN_RETENTION_MS = 24 * 3_600_000;
/**
 * Taken off the retention period when judging caught-up evidence: covers Kinesis' propagation delay (a
 * record may become readable a little after its arrival time), clock skew between coordinators, and
 * Kinesis expiring records a little early. Costs nothing in practice: it only matters to a job that was
 * stopped for about a whole retention period.
 */
const CAUGHT_UP_MARGIN_MS = 5 * 60_000;
/** A retention period asked from Kinesis is reused this long (it can be changed on a live stream). */
const RETENTION_REUSE_MS = 10 * 60_000;

export type TrimmedPolicy = 'fail' | 'skip';

/** An iterator and what is still to be checked about the position it stands at. */
interface Kept {
  iterator: string;
  obtainedAt: number;
  /** Opened AT the committed record: the first record read must be it (then it is dropped), or it was trimmed. */
  expect?: string;
  /** Opened at the trim horizon past a trimmed committed position: the gap starts after this. */
  gapFrom?: string;
  /** Why the AT open failed, when TRIM_HORIZON stood in for it: thrown if the position was not trimmed after all. */
  openError?: unknown;
}

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

export interface ShardReadRequest {
  shard: string;
  closed: boolean;
  /** ListShards' StartingSequenceNumber: a committed position before it is gone. */
  startingSequence?: string;
  /** The committed position ('' when this shard has none yet). */
  basis: string;
  /** The committed range's caughtUpAt: no record after `basis` had arrived by then. */
  caughtUpAt?: number;
  /** Where a shard without a committed position starts. */
  fresh: Start;
  /** Stop polling (empty pages) once the next call could not start before this time. */
  deadline: number;
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
  private retention?: { at: number; answer: Promise<{ ms: number; note: string }> };

  constructor(
    private readonly calls: KinesisCalls,
    private readonly decode: RecordDecoder<T>,
    private readonly caps: Caps,
    private readonly onTrimmed: TrimmedPolicy,
  ) {}

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
      const lost = await this.judge(request, cursor, records[0], atTip);
      for (const record of records) {
        if (!this.admit(request, cursor, record, part, lost)) continue;
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
  private async open(request: ShardReadRequest): Promise<Kept | undefined> {
    const { shard, basis, startingSequence } = request;
    const obtainedAt = () => this.calls.clock.now();
    const at = async (start: Start, extra: Partial<Kept> = {}) => {
      const iterator = await this.calls.shardIterator(shard, start);
      return iterator === undefined ? undefined : { iterator, obtainedAt: obtainedAt(), ...extra };
    };
    if (!basis) return at(request.fresh);
    if (startingSequence && compareSequence(startingSequence, basis) > 0) {
      // The shard's listing already starts after the committed record. Unless caught-up evidence may
      // cover that, fail before reading; if it may, the first record read is judged (admit).
      const lost = await this.uncovered(request);
      if (lost !== undefined) {
        this.trimmed(
          shard,
          basis,
          startingSequence,
          `the shard now starts at a later sequence number; ${lost}`,
        );
      }
      return at({ kind: 'type', type: 'TRIM_HORIZON' }, { gapFrom: basis });
    }
    // AT, not AFTER: reading the committed record again proves it (and so nothing after it) was not trimmed.
    try {
      return await at({ kind: 'at', sequence: basis }, { expect: basis });
    } catch (error) {
      const code = (error as SourceError).context?.code;
      if (code !== 'InvalidArgumentException') throw error;
      // Kinesis may refuse a sequence number that expired: look at the oldest record left to tell.
      return at({ kind: 'type', type: 'TRIM_HORIZON' }, { expect: basis, openError: error });
    }
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

  /**
   * Whether an answer read at a committed position that is not proven yet (`expect`, `gapFrom`) may have
   * skipped expired records: why, for the first record when it is later than the committed one
   * (undefined: it is the committed one, or nothing can have expired). An empty answer at the tip with
   * nothing that can have expired proves the position: a quiet shard whose committed record expired.
   */
  private async judge(
    request: ShardReadRequest,
    cursor: Kept,
    first: _Record | undefined,
    atTip: boolean,
  ): Promise<string | undefined> {
    const committed = cursor.gapFrom ?? cursor.expect;
    if (committed === undefined) return undefined;
    if (first === undefined) {
      if (atTip && (await this.uncovered(request)) === undefined) {
        cursor.expect = cursor.gapFrom = cursor.openError = undefined;
      }
      return undefined;
    }
    if (cursor.gapFrom === undefined && compareSequence(first.SequenceNumber!, committed) <= 0)
      return undefined;
    return this.uncovered(request, first);
  }

  /**
   * Why records after the committed position may have expired before being read, or undefined when the
   * range's caught-up evidence proves none did. The rule: no record after the committed one had arrived
   * by `caughtUpAt`, so each arrived later; if less than the retention period (less a margin) has passed
   * since `caughtUpAt`, none of them has expired yet, and any that exists is still readable, so the
   * committed record's absence loses nothing. The oldest record left must then have arrived after
   * `caughtUpAt` (up to the margin), or the evidence is contradicted and not trusted.
   */
  private async uncovered(request: ShardReadRequest, first?: _Record): Promise<string | undefined> {
    const since = request.caughtUpAt;
    if (since === undefined) return 'no read at the tip of the shard was recorded after it';
    const elapsed = this.calls.clock.now() - since + CAUGHT_UP_MARGIN_MS;
    const retention = await this.retentionFor(elapsed);
    if (elapsed >= retention.ms) {
      return (
        `the last read at the tip of the shard (${iso(since)}) is older than the stream's retention ` +
        `period (${retention.ms / 3_600_000} h${retention.note}) less ${CAUGHT_UP_MARGIN_MS / 60_000} minutes`
      );
    }
    const arrival = first?.ApproximateArrivalTimestamp?.getTime();
    if (arrival !== undefined && arrival < since - CAUGHT_UP_MARGIN_MS) {
      return (
        `the oldest record left arrived at ${iso(arrival)}, before the last read at the tip of the shard ` +
        `(${iso(since)}), which did not return it`
      );
    }
    return undefined;
  }

  /**
   * The stream's retention period, or Kinesis' minimum (24 h) when that is longer than `needed`: only a
   * job that was stopped for about a day asks Kinesis (DescribeStreamSummary), and reuses the answer for
   * a few minutes. If the call fails, the minimum stands: that can only report a gap, never hide one.
   */
  private retentionFor(needed: number): Promise<{ ms: number; note: string }> {
    if (needed < MIN_RETENTION_MS) return Promise.resolve({ ms: MIN_RETENTION_MS, note: '' });
    const now = this.calls.clock.now();
    if (!this.retention || now - this.retention.at >= RETENTION_REUSE_MS) {
      const answer = this.calls.retentionMs().then(
        (ms) => ({ ms: Math.max(ms, MIN_RETENTION_MS), note: '' }),
        (error: unknown) => ({
          ms: MIN_RETENTION_MS,
          note: `, Kinesis' minimum: DescribeStreamSummary failed: ${error instanceof Error ? error.message : String(error)}`,
        }),
      );
      this.retention = { at: now, answer };
    }
    return this.retention.answer;
  }

  /**
   * Checks the first record read after (re-)opening at a committed position. Returns false for a record
   * that is not to be consumed (the committed record itself). `lost` (from judge) says why records before
   * it may have expired; undefined when none can have.
   */
  private admit(
    request: ShardReadRequest,
    cursor: Kept,
    record: _Record,
    part: ShardPart<T>,
    lost: string | undefined,
  ): boolean {
    const sequence = record.SequenceNumber!;
    if (cursor.gapFrom !== undefined) {
      const from = cursor.gapFrom;
      cursor.gapFrom = undefined;
      if (lost === undefined) return true;
      this.trimmed(request.shard, from, sequence, `the shard now starts at a later sequence number; ${lost}`);
      part.gap = { from, to: sequence, reason: trimmedReason(from, sequence) };
      return true;
    }
    const expected = cursor.expect;
    if (expected === undefined) return true;
    cursor.expect = undefined;
    const order = compareSequence(sequence, expected);
    if (order === 0) return false;
    if (order < 0) {
      // Older records are still there, so the committed one was not trimmed: it is not of this shard.
      throw (
        cursor.openError ??
        new SourceError(
          `Kinesis stream "${this.calls.streamName}" shard ${request.shard} has no record ${expected}, the ` +
            'committed position, although older records are still there: the position is not from this shard',
          { stream: this.calls.streamName, shard: request.shard, committed: expected },
        )
      );
    }
    if (lost === undefined) return true;
    this.trimmed(
      request.shard,
      expected,
      sequence,
      `the committed record is no longer in the shard; ${lost}`,
    );
    part.gap = { from: expected, to: sequence, reason: trimmedReason(expected, sequence) };
    return true;
  }

  /** Fails with how to go on, unless the user chose to skip trimmed gaps. */
  private trimmed(shard: string, committed: string, trimHorizon: string, evidence: string): void {
    if (this.onTrimmed === 'skip') return;
    const stream = this.calls.streamName;
    throw new SourceError(
      `Kinesis stream "${stream}" shard ${shard}: the committed position (sequence number ${committed}) is ` +
        `older than the shard's trim horizon (oldest record left: ${trimHorizon}; ${evidence}). Records after ` +
        "it expired from the stream's retention period before this job read them, and nothing was skipped. " +
        "To go on from the oldest record left and lose the expired ones, set onTrimmedPosition: 'skip' on " +
        "the Kinesis source (the gap is recorded in the batch's range); to keep records longer, raise the " +
        "stream's retention (aws kinesis increase-stream-retention-period).",
      { stream, shard, committed, trimHorizon, option: 'onTrimmedPosition' },
    );
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function trimmedReason(from: string, to: string): string {
  return `records after ${from} and before ${to} expired from the stream's retention period (trimmed) before they were read`;
}
