import { ConfigError } from '../../util/errors';
import type { DecoderName, RecordDecoder } from '../decoders';
import type { Clock } from '../ports';
import type { RetryOptions } from '../retry';
import type { KinesisSender } from './calls';
import type { TrimmedPolicy } from './trimmed-position';

/** Where a shard without a committed position starts. */
export type StartingPosition = 'TRIM_HORIZON' | 'LATEST' | { timestamp: Date | number };

export interface KinesisSourceOptions<T> {
  streamName: string;
  client: KinesisSender;
  /** Decodes each user record (after KPL deaggregation), given its bytes and metadata; default utf8. */
  decoder?: DecoderName | RecordDecoder<T>;
  /**
   * Where a shard without a recorded position starts (default TRIM_HORIZON): the oldest record, the tip
   * (LATEST), or the first record that arrived at or after `{ timestamp }` (a Date or ms since the epoch;
   * Kinesis starts at the oldest record left if the time is older than the retention). Children of a
   * resharded shard that was being read always start at TRIM_HORIZON so nothing written after the
   * reshard is lost.
   */
  startingPosition?: StartingPosition;
  /**
   * At most this many user records (counted after KPL de-aggregation, dead letters included) per shard
   * and batch; default 10,000. A Kinesis record is consumed whole: an aggregated record that would cross
   * the cap is left for the next batch, unless it is the batch's first record of the shard, so a batch
   * may exceed the cap by less than one aggregate. A backlog drains over several batches, and each
   * batch's recorded range replays exactly.
   */
  maxRecordsPerShard?: number;
  /** At most this many bytes of Kinesis record data per shard and batch (same rule); default 10 MiB. */
  maxBytesPerShard?: number;
  /**
   * How long one batch may keep polling a shard through empty pages, in ms; default half the batch
   * interval. A read that runs out of time continues from the same iterator in the next batch.
   */
  readBudgetMs?: number;
  /**
   * What to do when the committed position of a shard is older than its trim horizon (its records
   * expired from the stream's retention before they were read): 'fail' the batch with the shard and
   * sequence numbers (default), or 'skip' to the oldest record left and record the gap in the range.
   * A committed record that expired is not a gap when nothing after it can have expired: the shard was
   * read to its tip (SourceRange.caughtUpAt) less than the retention period (less 5 minutes) ago, as when
   * a shard was merely quiet for longer than the retention period.
   */
  onTrimmedPosition?: TrimmedPolicy;
  /**
   * How many shards are read at once (default 16). A batch's read then takes about as long as its
   * slowest shards rather than all of them in turn; Kinesis limits reads per shard, so this adds no
   * throttling of its own. 1 reads the shards one by one.
   */
  readConcurrency?: number;
  /**
   * Who reads the records: 'tasks' (default) — the coordinator only plans each batch's per-shard ranges
   * and every map task reads its shards from Kinesis itself — or 'coordinator', which reads every shard
   * and hands the records to tasks as input blocks in the store.
   */
  readIn?: 'tasks' | 'coordinator';
  /**
   * Propagation margin, ms (default 1000; 0 suits emulators such as kinesalite, where a record is
   * readable once its put returns). A batch planned at time t takes the records that arrived before
   * t - settleMs, and a task that reaches the tip of a shard without a record past that cutoff does not
   * conclude before its clock passes the cutoff by settleMs: Kinesis makes records readable right after
   * they are written, and the AWS low-latency guide puts the put-to-get delay typically below 1 second.
   */
  settleMs?: number;
  /** How often the coordinator lists the stream's shards again (default 60 s; also when a shard ends). */
  shardListRefreshMs?: number;
  /** Retries of throttled or transiently failed calls (io/retry.ts); default 7 tries, 100 ms..5 s. */
  retry?: Partial<RetryOptions>;
  /** Time for budgets, rate limits and retry waits; a ManualClock in tests. Default: the system clock. */
  clock?: Clock;
}

export const DEFAULT_MAX_RECORDS_PER_SHARD = 10_000;
export const DEFAULT_MAX_BYTES_PER_SHARD = 10 * 1024 * 1024;
export const DEFAULT_READ_CONCURRENCY = 16;
export const DEFAULT_SETTLE_MS = 1000;
export const DEFAULT_SHARD_LIST_REFRESH_MS = 60_000;
export const KINESIS_RETRY: RetryOptions = { maxAttempts: 7, baseMs: 100, maxMs: 5000 };

/** Milliseconds since the epoch below this are taken for seconds (they would be before March 1973). */
const SECONDS_LOOKALIKE = 1e11;

export type ResolvedStart =
  | { kind: 'type'; type: 'TRIM_HORIZON' | 'LATEST' }
  | { kind: 'timestamp'; timestamp: Date };

export function resolveStartingPosition(position: StartingPosition | undefined, now: number): ResolvedStart {
  if (position === undefined || position === 'TRIM_HORIZON' || position === 'LATEST') {
    return { kind: 'type', type: position ?? 'TRIM_HORIZON' };
  }
  const how =
    "startingPosition must be 'TRIM_HORIZON', 'LATEST' or { timestamp: Date | milliseconds since the epoch }";
  if (typeof position !== 'object' || position === null || !('timestamp' in position)) {
    throw new ConfigError(`${how}, not ${JSON.stringify(position) ?? String(position)}`, {
      startingPosition: String(position),
    });
  }
  const { timestamp } = position;
  const ms = timestamp instanceof Date ? timestamp.getTime() : timestamp;
  if (typeof ms !== 'number' || !Number.isFinite(ms)) {
    throw new ConfigError(`${how}; the timestamp ${String(timestamp)} is not a valid time`, {
      timestamp: String(timestamp),
    });
  }
  if (ms < 0) {
    throw new ConfigError(`${how}; the timestamp ${ms} is before 1970`, { timestamp: ms });
  }
  if (typeof timestamp === 'number' && ms > 0 && ms < SECONDS_LOOKALIKE) {
    throw new ConfigError(
      `${how}; the timestamp ${ms} looks like seconds, not milliseconds: pass ${ms * 1000} or a Date`,
      { timestamp: ms },
    );
  }
  if (ms > now) {
    throw new ConfigError(
      `startingPosition timestamp ${new Date(ms).toISOString()} is in the future (now is ${new Date(now).toISOString()}); ` +
        "Kinesis refuses AT_TIMESTAMP later than now: use 'LATEST' to start at the tip",
      { timestamp: ms, now },
    );
  }
  return { kind: 'timestamp', timestamp: new Date(ms) };
}

/** A whole, positive cap, or a ConfigError saying what to pass. */
export function checkCap(name: string, value: number, example: string): number {
  if (!(value >= 1) || (value !== Number.POSITIVE_INFINITY && !Number.isInteger(value))) {
    throw new ConfigError(
      `${name} must be a whole number of at least 1, not ${String(value)}; pass e.g. ${example} to cap ` +
        'what one batch reads from a shard, or Infinity for no cap',
      { [name]: value },
    );
  }
  return value;
}

export function checkReadConcurrency(stream: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new ConfigError(
      `readConcurrency must be a whole number of shards to read at once, at least 1 (1 reads them one ` +
        `by one; the default is ${DEFAULT_READ_CONCURRENCY}), not ${String(value)}`,
      { stream, readConcurrency: value },
    );
  }
  return value;
}

export function checkTrimmedPolicy(value: unknown): TrimmedPolicy {
  if (value === 'fail' || value === 'skip') return value;
  throw new ConfigError(`onTrimmedPosition must be 'fail' (the default) or 'skip', not ${String(value)}`, {
    onTrimmedPosition: String(value),
  });
}

export function checkBudget(value: number | undefined): number | undefined {
  if (value === undefined || (Number.isFinite(value) && value >= 0)) return value;
  throw new ConfigError(
    `readBudgetMs must be a number of ms >= 0 (0 makes one GetRecords call per shard and batch), not ${String(value)}`,
    { readBudgetMs: value },
  );
}

/** A duration option in ms: finite and >= 0. */
export function checkMs(name: string, value: number): number {
  if (Number.isFinite(value) && value >= 0) return value;
  throw new ConfigError(`${name} must be a number of ms >= 0, not ${String(value)}`, { [name]: value });
}

export function checkReadIn(value: unknown): 'tasks' | 'coordinator' {
  if (value === 'tasks' || value === 'coordinator') return value;
  throw new ConfigError(`readIn must be 'tasks' (the default) or 'coordinator', not ${String(value)}`, {
    readIn: String(value),
  });
}
