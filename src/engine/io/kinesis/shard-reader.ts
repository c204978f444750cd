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
      const answer = await this.getRecords(request, cursor, part, limitFor);
      const out = answer?.out;
      const limit = answer?.limit ?? 0;
      if (out === undefined) {
        part.ended = true;
        break;
      }
      const records = out.Records ?? [];
      part.millisBehindLatest = out.MillisBehindLatest;
      for (const record of records) {
        if (!this.admit(request, cursor, record, part)) continue;
        if (!consume(shard, record, part, this.decode, this.caps)) {
          cut = true;
          break;
        }
      }
      if (cut) break;
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
      // The shard's listing already starts after the committed record.
      this.trimmed(shard, basis, startingSequence, 'the shard now starts at a later sequence number');
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
   * Checks the first record read after (re-)opening at a committed position. Returns false for a record
   * that is not to be consumed (the committed record itself).
   */
  private admit(request: ShardReadRequest, cursor: Kept, record: _Record, part: ShardPart<T>): boolean {
    const sequence = record.SequenceNumber!;
    if (cursor.gapFrom !== undefined) {
      part.gap = { from: cursor.gapFrom, to: sequence, reason: trimmedReason(cursor.gapFrom, sequence) };
      cursor.gapFrom = undefined;
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
    this.trimmed(request.shard, expected, sequence, 'the committed record is no longer in the shard');
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

function trimmedReason(from: string, to: string): string {
  return `records after ${from} and before ${to} expired from the stream's retention period (trimmed) before they were read`;
}
