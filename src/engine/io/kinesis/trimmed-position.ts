import type { _Record } from '@aws-sdk/client-kinesis';
import { SourceError } from '../errors';
import type { KinesisCalls } from './calls';
import { CaughtUpEvidence } from './caught-up-evidence';
import type { ShardPart } from './records';
import type { ShardReadRequest } from './shard-read-request';
import { compareSequence } from './shards';

export type TrimmedPolicy = 'fail' | 'skip';

/** The part of a shard read the check looks at. */
type TrimmedRequest = Pick<ShardReadRequest, 'shard' | 'caughtUpAt'>;

/** What is still to be checked about the committed position an iterator was opened for. */
export interface UnprovenPosition {
  /** Opened AT the committed record: the first record read must be it (then it is dropped), or it was trimmed. */
  expect?: string;
  /** Opened at the trim horizon past a trimmed committed position: the gap starts after this. */
  gapFrom?: string;
  /** Why the AT open failed, when TRIM_HORIZON stood in for it: thrown if the position was not trimmed after all. */
  openError?: unknown;
}

/**
 * Trimmed-position detection: tells whether a shard read re-opened at a committed position skipped
 * records that expired, and then fails or records the gap, as the source's onTrimmedPosition says.
 */
export class TrimmedPositionCheck {
  private readonly evidence: CaughtUpEvidence;

  constructor(
    private readonly calls: KinesisCalls,
    private readonly onTrimmed: TrimmedPolicy,
  ) {
    this.evidence = new CaughtUpEvidence(calls);
  }

  /** Why records after the committed position may have expired; undefined when none can have. */
  uncovered(request: TrimmedRequest, first?: _Record): Promise<string | undefined> {
    return this.evidence.uncovered(request.caughtUpAt, first);
  }

  /**
   * Whether an answer read at a committed position that is not proven yet (`expect`, `gapFrom`) may have
   * skipped expired records: why, for the first record when it is later than the committed one
   * (undefined: it is the committed one, or nothing can have expired). An empty answer at the tip with
   * nothing that can have expired proves the position: a quiet shard whose committed record expired.
   */
  async judge(
    request: TrimmedRequest,
    cursor: UnprovenPosition,
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
   * Checks the first record read after (re-)opening at a committed position. Returns false for a record
   * that is not to be consumed (the committed record itself). `lost` (from judge) says why records before
   * it may have expired; undefined when none can have.
   */
  admit(
    request: TrimmedRequest,
    cursor: UnprovenPosition,
    record: _Record,
    part: Pick<ShardPart<unknown>, 'gap'>,
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
  trimmed(shard: string, committed: string, trimHorizon: string, evidence: string): void {
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
