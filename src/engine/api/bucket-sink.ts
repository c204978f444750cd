import { padTime } from '../catalog/layout';
import { InvalidGraphError, type Sink, type SinkBatchInfo, type SinkPartitionInfo } from '../graph';
import type { Store } from '../io/ports';
import { createOnce } from './create-once';
import { csvLines, jsonLines, type RowFormat, type RowsAt } from './row-formats';
import { SinkError } from './sink-errors';
import { storeAt } from './user-store';

export interface BucketSinkOptions {
  /** 'jsonl' (default): one JSON value per line. 'csv': a header row, then one line per object row. */
  format?: RowFormat;
  /** CSV columns, in order (default: the keys of each object's first row; give them for a stable schema). */
  columns?: string[];
  /** Starts every object's name, so several sinks can share a prefix (default 'batch'). */
  name?: string;
  /**
   * 'batch' (default): the coordinator writes each batch as one object from the rows tasks send back.
   * 'partition': every task writes its part under `_staging/`, and the batch's commit copies the parts
   * to their place: for output too large for task results.
   */
  parts?: 'batch' | 'partition';
}

/** Parts moved at once by a batch's commit. */
const COMMIT_CONCURRENCY = 4;

/** Where staged parts wait for their batch's commit: Athena and fileStream skip names starting with '_'. */
export const BUCKET_STAGING_PREFIX = '_staging/';

/**
 * Writes each batch to a bucket and prefix of your choice, partitioned by batch time in Hive style so
 * Athena (or any Hive-layout reader) can query it: `<prefix>dt=2026-12-01/hour=15/<name>-<batch time>.jsonl`
 * (with `parts: 'partition'`, `...-part-00000.jsonl` and so on). Exactly once: every object is written
 * create-once with deterministic bytes, so a retried task or a batch re-run after a crash finds its object
 * already there with the same bytes; other bytes in the way stop the batch (SinkOutputConflictError). A
 * batch with no rows writes nothing. Parts wait under `_staging/` until their batch commits, so a
 * reader of the partitions never sees a batch still being written; staged parts are deleted after.
 */
export function bucketSink<T>(location: string | Store, options: BucketSinkOptions = {}): Sink<T> {
  return new BucketSink<T>(storeAt(location, 'bucketSink location'), options);
}

class BucketSink<T> implements Sink<T> {
  readonly name: string;
  readonly writeBatch?: (rows: T[], info: SinkBatchInfo) => Promise<void>;
  private readonly format: RowFormat;
  private readonly columns?: string[];

  constructor(
    private readonly bucket: Store,
    options: BucketSinkOptions,
  ) {
    this.name = options.name ?? 'batch';
    this.format = options.format ?? 'jsonl';
    this.columns = options.columns;
    checkOptions(this.name, this.format, options);
    if (options.parts !== 'partition') {
      this.writeBatch = async (rows, info) => {
        if (rows.length === 0) return;
        const key = `${hivePartition(info.batchTime)}${this.name}-${padTime(info.batchTime)}.${this.format}`;
        await this.createOnce(key, this.encode(rows, info.batchTime, 0), info.batchTime);
      };
    }
  }

  /** Every part is staged, even an empty one, so the commit can tell a part that never arrived. */
  async writePartition(rows: T[], info: SinkPartitionInfo): Promise<void> {
    const body = this.encode(rows, info.batchTime, info.partition);
    await this.createOnce(this.stagedKey(info.batchTime, info.partition), body, info.batchTime);
  }

  /**
   * Moves the staged parts into the partition, a few at a time, then deletes them. The bytes pass through
   * the coordinator one part each: the Store port has no server-side copy.
   */
  async commitBatch(info: SinkBatchInfo): Promise<void> {
    if (this.writeBatch) return;
    const partitions = Array.from({ length: info.numPartitions }, (_, p) => p);
    let next = 0;
    const mover = async (): Promise<void> => {
      while (next < partitions.length) await this.movePart(info.batchTime, partitions[next++]);
    };
    await Promise.all(Array.from({ length: Math.min(COMMIT_CONCURRENCY, partitions.length) }, mover));
    await this.bucket.delete(partitions.map((p) => this.stagedKey(info.batchTime, p)));
  }

  private async movePart(batchTime: number, partition: number): Promise<void> {
    const from = this.stagedKey(batchTime, partition);
    // Every task of this attempt staged its part (a re-run stages them again), so none can be missing.
    const body = await this.bucket.get(from);
    if (body === undefined) {
      throw new SinkError(
        `bucketSink '${this.name}', batch ${batchTime}: staged part ${from} is missing, so the batch cannot commit; it runs again`,
        { sink: this.name, key: from, batchTime },
      );
    }
    const to = `${hivePartition(batchTime)}${this.name}-${padTime(batchTime)}-part-${pad5(partition)}.${this.format}`;
    if (body.length > 0) await this.createOnce(to, body, batchTime);
  }

  private stagedKey(batchTime: number, partition: number): string {
    return `${BUCKET_STAGING_PREFIX}${this.name}-${padTime(batchTime)}/part-${pad5(partition)}.${this.format}`;
  }

  private encode(rows: readonly T[], batchTime: number, partition: number): Uint8Array {
    const at: RowsAt = { sink: `bucketSink '${this.name}'`, batchTime, partition };
    const text = this.format === 'csv' ? csvLines(rows, this.columns, at) : jsonLines(rows, at);
    return new TextEncoder().encode(text);
  }

  private createOnce(key: string, body: Uint8Array, batchTime: number): Promise<void> {
    return createOnce(this.bucket, body, { sink: `bucketSink '${this.name}'`, key, batchTime });
  }
}

/** `dt=YYYY-MM-DD/hour=HH/` of the batch time, in UTC. */
export function hivePartition(batchTime: number): string {
  const iso = new Date(batchTime).toISOString();
  return `dt=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}/`;
}

function pad5(n: number): string {
  return String(n).padStart(5, '0');
}

function checkOptions(name: string, format: RowFormat, options: BucketSinkOptions): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) {
    throw new InvalidGraphError(
      `bucketSink name '${name}' must start with a letter or digit and hold only letters, digits, '.', '_' or '-' (it names objects)`,
    );
  }
  if (format !== 'jsonl' && format !== 'csv') {
    throw new InvalidGraphError(
      `bucketSink '${name}': format must be 'jsonl' or 'csv', got ${JSON.stringify(format)} (Parquet is not supported)`,
    );
  }
  const { columns, parts } = options;
  if (columns !== undefined) {
    if (format !== 'csv')
      throw new InvalidGraphError(`bucketSink '${name}': columns apply to format 'csv' only`);
    if (!Array.isArray(columns) || columns.length === 0 || !columns.every((c) => typeof c === 'string')) {
      throw new InvalidGraphError(`bucketSink '${name}': columns must be a non-empty array of names`);
    }
  }
  if (parts !== undefined && parts !== 'batch' && parts !== 'partition') {
    throw new InvalidGraphError(`bucketSink '${name}': parts must be 'batch' or 'partition'`);
  }
  // Each part would take its header from its own first row, and parts could disagree.
  if (format === 'csv' && parts === 'partition' && columns === undefined) {
    throw new InvalidGraphError(
      `bucketSink '${name}': CSV written by partition needs columns: [...], so every part has the same header`,
    );
  }
}
