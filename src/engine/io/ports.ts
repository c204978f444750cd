/**
 * The engine's only view of the outside world. Every adapter (memory, filesystem, S3, Lambda, Kinesis,
 * worker threads) implements one of these, and one behaviour suite runs against each implementation.
 */

export interface StoreEntry {
  key: string;
  size: number;
  /**
   * When the object was written (ms since the epoch, the store's clock): S3's LastModified, which is when
   * the upload STARTED, so a slow upload can appear in listings after objects with later times. Absent
   * when a store cannot tell.
   */
  modified?: number;
}

/**
 * When a conditional write may happen: only if no object exists (create-once), or only if the object is
 * still the version the writer read (compare-and-set). S3's `If-None-Match: *` and `If-Match: <etag>`.
 */
export type WriteCondition = { ifAbsent: true } | { ifVersion: string };

/** An object with the opaque version a later conditional write compares against (S3's ETag). */
export interface VersionedObject {
  body: Uint8Array;
  version: string;
}

/** A flat key/value blob store: memory, a directory, or an S3 bucket prefix. */
export interface Store {
  /** Writes (or overwrites) an object. Writes of the same key with the same bytes are harmless. */
  put(key: string, body: Uint8Array): Promise<void>;
  /** The object's bytes, or `undefined` when there is no such object. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Bytes `[start, end)` of an object, or `undefined` when there is no such object. */
  getRange(key: string, start: number, end: number): Promise<Uint8Array | undefined>;
  has(key: string): Promise<boolean>;
  /** Deletes objects; missing keys are ignored. */
  delete(keys: readonly string[]): Promise<void>;
  /** Objects whose key starts with `prefix`, in lexicographic key order. */
  list(prefix: string): Promise<StoreEntry[]>;
  /**
   * Writes only when `condition` holds, atomically with the check, and returns the new version. Throws
   * ConditionFailedError when it does not hold: another writer won (S3's 412, or 409 on a race).
   */
  putIf(key: string, body: Uint8Array, condition: WriteCondition): Promise<string>;
  /** The object and its current version, or `undefined` when there is no such object. */
  getVersioned(key: string): Promise<VersionedObject | undefined>;
}

export interface InvokeOptions {
  /** Called when the task actually starts (leaves the invoker's queue): how stragglers are timed. */
  onStart?: () => void;
  /**
   * Aborted when the result is no longer wanted (another copy of a speculated task won). A task still
   * waiting for a slot is dropped and rejects with InvokeCancelledError; one already running may run
   * on, and its result is ignored (tasks are deterministic, so it writes the same bytes).
   */
  signal?: AbortSignal;
}

/** Sends one task description to wherever tasks run and returns its result. Rejects on a failed attempt. */
export interface Invoker<TRequest, TResponse> {
  invoke(request: TRequest, options?: InvokeOptions): Promise<TResponse>;
  /** How many tasks can usefully run at once (workers, or a Lambda concurrency budget). */
  readonly parallelism: number;
  close(): Promise<void>;
}

/** How a sleep may end early, and who waits on it. */
export interface SleepOptions {
  /** Ends the sleep at once when aborted (the caller checks it); an aborted sleep holds no timer. */
  signal?: AbortSignal;
  /**
   * A background wait (lease renewal, straggler checks): nothing waits on it to go on, so it keeps no
   * process alive (SystemClock), and a clock that moves time forward for its sleepers (ManualClock with
   * autoAdvance) does not move it for this one.
   */
  background?: boolean;
}

/** Time, injectable so that tests run on a manual clock. */
export interface Clock {
  now(): number;
  /** Resolves once `now() >= time`, or as soon as `options.signal` aborts. */
  sleepUntil(time: number, options?: SleepOptions): Promise<void>;
}

/**
 * One shard's (or queue's) part of a batch, kept in the batch manifest: enough to continue after it and
 * to read exactly the same records again.
 */
export interface SourceRange {
  /** Shard id, queue name or generator name. */
  shard: string;
  /** First position read in this batch ('' when nothing was read). */
  first: string;
  /** Last position consumed: the next batch continues after it ('' when nothing was ever read). */
  last: string;
  count: number;
  /** How far the shard's reader was behind its tip after this batch's read (Kinesis MillisBehindLatest). */
  millisBehindLatest?: number;
  /**
   * Evidence that the reader was caught up (Kinesis): a time (ms, the source's clock) by which no record
   * after `last` had arrived in the shard (up to Kinesis' propagation delay), i.e. a GetRecords sent then
   * answered at the tip and everything it returned was consumed. Carried forward from the previous range while the shard is behind. It tells
   * a shard that was merely quiet for longer than the retention period from a trimmed gap.
   */
  caughtUpAt?: number;
  /**
   * Records lost before this batch: the position after `from` had expired from the source (trimmed), and
   * reading went on at `to` (exclusive bounds; `to` unknown when nothing was read yet). Only when the user
   * asked to skip such gaps.
   */
  gap?: { from: string; to?: string; reason: string };
  /** The input partition whose tasks read this range (sources that tasks read themselves). */
  partition?: number;
  /**
   * For a shard nothing was read from yet (`last` ''), the arrival time (ms) reading starts at: a
   * resolved LATEST or timestamp start, kept until the first record is read so no record is skipped.
   */
  startAt?: number;
  /** The shard is closed and was read to its end: its children come next. */
  ended?: boolean;
  /**
   * Set while the batch runs on a range planned but not read yet (`last` is where it continues,
   * `first` and `count` are empty): the task reading it stops before the first record that arrived at
   * or after `cutoff` (ms, the source's clock) and reports what it read, which replaces the plan at
   * commit. Every attempt reads the same records, so the plan is all a retry or a recovery needs.
   */
  plan?: { cutoff: number; closed?: boolean };
  /** Object sources (fileStream): which objects this batch read, and what the next batch must remember. */
  objects?: ObjectRangeState;
}

/** One object as an object source listed and read it. */
export interface ObjectRef {
  key: string;
  size: number;
  /** The listing's write time (S3 LastModified), which with the key names this version of the object. */
  modified: number;
}

/**
 * An object source's part of a batch manifest. Objects written before `floor` are never taken again;
 * `remembered` holds every object taken so far that was written at or after it (key to write time), so
 * the next batch tells them from objects that appeared late.
 */
export interface ObjectRangeState {
  /** The objects this batch read, in read order: a replay reads exactly these. */
  taken: ObjectRef[];
  floor: number;
  remembered: Record<string, number>;
}

/** A record that could not be decoded; stored as a dead letter and counted, never silently dropped. */
export interface DeadLetter {
  shard: string;
  position: string;
  data: Uint8Array;
  error: string;
}

export interface SourceBatch<T> {
  records: T[];
  ranges: SourceRange[];
  deadLetters?: DeadLetter[];
}

/** Which interval of a source a batch covers. */
export interface SourceInterval {
  /** Counts batches from 0. */
  batchIndex: number;
  /** The interval is `(batchTime - intervalMs, batchTime]`. */
  batchTime: number;
  intervalMs: number;
}

/** A replayable input: reading the same ranges twice yields the same records. */
export interface Source<T> {
  /**
   * The interval's records. `after` holds the ranges of the last committed batch of this input (where to
   * continue), undefined on the very first batch.
   */
  read(interval: SourceInterval, after: readonly SourceRange[] | undefined): Promise<SourceBatch<T>>;
  /** Checks at start that the source exists and is reachable, so bad configuration fails early and clearly. */
  validate?(): Promise<void>;
  /** Reads exactly the records of recorded ranges again, in the same order (recovers a lost input block). */
  replay?(ranges: readonly SourceRange[], interval: SourceInterval): Promise<T[]>;
  /** The records of recorded ranges the decoder could not read (their dead letters lost with a crash). */
  replayDeadLetters?(ranges: readonly SourceRange[], interval: SourceInterval): Promise<DeadLetter[]>;
  /**
   * Optional: sources whose partitions are known without reading them (a generator, offset ranges) let
   * each task read its own partition, so input never passes through the coordinator.
   */
  direct?: DirectRead<T>;
}

/** What a task read of its partition directly from a source. */
export interface DirectPart<T> {
  records: T[];
  /** What was read of planned ranges (`plan`), to be committed in their place; absent when none was planned. */
  ranges?: SourceRange[];
  deadLetters?: DeadLetter[];
}

export interface DirectRead<T> {
  /**
   * The batch's ranges, each naming the partition that reads it, without reading any record. `after`
   * holds the ranges of the last committed batch (undefined on the very first). Ranges with a `plan`
   * are resolved by the tasks that read them; the others are final as they are.
   */
  ranges(
    interval: SourceInterval,
    partitions: number,
    after: readonly SourceRange[] | undefined,
  ): Promise<SourceRange[]>;
  /**
   * Reads one partition: by plan while the batch runs, or again by the committed ranges (a recovery).
   * `ranges` gives the batch's recorded ranges, for sources that need them.
   */
  readPartition(
    interval: SourceInterval,
    partition: number,
    partitions: number,
    ranges: () => Promise<readonly SourceRange[]>,
  ): Promise<DirectPart<T>>;
}
