import type { _Record } from '@aws-sdk/client-kinesis';
import type { KinesisCalls } from './calls';

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

/**
 * The caught-up rule: whether a committed range's caught-up evidence (`caughtUpAt`) proves that no record
 * after its committed position can have expired, asking Kinesis for the retention period when needed.
 */
export class CaughtUpEvidence {
  private retention?: { at: number; answer: Promise<{ ms: number; note: string }> };

  constructor(private readonly calls: KinesisCalls) {}

  /**
   * Why records after the committed position may have expired before being read, or undefined when the
   * range's caught-up evidence proves none did. The rule: no record after the committed one had arrived
   * by `caughtUpAt`, so each arrived later; if less than the retention period (less a margin) has passed
   * since `caughtUpAt`, none of them has expired yet, and any that exists is still readable, so the
   * committed record's absence loses nothing. The oldest record left must then have arrived after
   * `caughtUpAt` (up to the margin), or the evidence is contradicted and not trusted.
   */
  async uncovered(caughtUpAt: number | undefined, first?: _Record): Promise<string | undefined> {
    const since = caughtUpAt;
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
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
