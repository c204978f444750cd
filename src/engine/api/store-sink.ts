import {
  padTime,
  SINK_BATCH_OBJECT,
  SINK_COMMIT_MARKER,
  sinkBatchKey,
  sinkMarkerKey,
  sinkPartKey,
  sinkPrefix,
} from '../catalog/layout';
import type { Sink, SinkBatchInfo, SinkPartitionInfo } from '../graph';
import { InvalidGraphError } from '../graph';
import type { Store } from '../io/ports';
import { createOnce } from './create-once';

export { SinkError, SinkOutputConflictError } from './sink-errors';

/**
 * Writes every batch to the job's store as JSON Lines. By default the rows reach the coordinator in task
 * results and go out as one object, `sinks/<name>/<batch time>/batch.jsonl`: created once and whole, it
 * proves the batch complete by existing, so a batch costs one PUT. With `parts: 'partition'` each task
 * writes `part-<n>.jsonl` and the coordinator adds a commit marker once all parts are in.
 * Every object is written once (create-if-absent): a retried or speculative task finds its object already
 * there with the same bytes (tasks are deterministic), and a stale coordinator can never replace
 * committed output. Other bytes in the way mean an earlier attempt of the batch computed other rows:
 * that stops the batch (SinkOutputConflictError) rather than keep either copy silently. Readers that only
 * look at committed batches see each batch's output exactly once, in either layout.
 */
export interface StoreSinkOptions {
  /**
   * 'batch' (default): the coordinator writes each batch as one object from the rows tasks send back, the
   * cheapest for output that fits in task results. 'partition': every task writes its partition's part,
   * then a marker commits the batch, for outputs too big to pass through the coordinator.
   */
  parts?: 'batch' | 'partition';
}

export class StoreSink<T> implements Sink<T> {
  /** Present unless each task writes its own part (see StoreSinkOptions.parts). */
  readonly writeBatch?: (rows: T[], info: SinkBatchInfo) => Promise<void>;

  constructor(
    readonly name: string,
    options: StoreSinkOptions = {},
  ) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) {
      throw new InvalidGraphError(
        `sink name '${name}' must be letters, digits, '.', '_' or '-' (it names store keys)`,
      );
    }
    if (options.parts !== 'partition') {
      this.writeBatch = (rows, info) =>
        this.createOnce(
          info.store,
          sinkBatchKey(this.name, info.batchTime),
          this.jsonLines(rows, { ...info, partition: 0, numPartitions: 1 }),
          info.batchTime,
        );
    }
  }

  async writePartition(rows: T[], info: SinkPartitionInfo): Promise<void> {
    const key = sinkPartKey(this.name, info.batchTime, info.partition);
    await this.createOnce(info.store, key, this.jsonLines(rows, info), info.batchTime);
  }

  async commitBatch(info: SinkBatchInfo): Promise<void> {
    // A batch written as one object was committed by creating it.
    if (this.writeBatch) return;
    const marker = JSON.stringify({ batchTime: info.batchTime, partitions: info.numPartitions });
    await this.createOnce(info.store, sinkMarkerKey(this.name, info.batchTime), marker, info.batchTime);
  }

  /** Batch times with committed output (a batch object or a commit marker), in order. */
  async committedBatches(store: Store): Promise<number[]> {
    const prefix = sinkPrefix(this.name);
    const times = new Set<number>();
    for (const { key } of await store.list(prefix)) {
      const [time, object, ...rest] = key.slice(prefix.length).split('/');
      const committing = object === SINK_BATCH_OBJECT || object === SINK_COMMIT_MARKER;
      // Only keys this sink writes: anything else under the prefix proves nothing.
      if (committing && rest.length === 0 && /^\d+$/.test(time) && padTime(Number(time)) === time) {
        times.add(Number(time));
      }
    }
    return [...times].sort((a, b) => a - b);
  }

  /**
   * The rows of a committed batch (in partition order), or undefined if the batch is not committed.
   * A batch object wins over parts: a batch re-run after its layout changed is read once, never twice.
   */
  async readBatch(store: Store, batchTime: number): Promise<T[] | undefined> {
    const whole = await store.get(sinkBatchKey(this.name, batchTime));
    if (whole) return parseLines<T>(whole);
    const marker = await store.get(sinkMarkerKey(this.name, batchTime));
    if (!marker) return undefined;
    const { partitions } = JSON.parse(new TextDecoder().decode(marker)) as { partitions: number };
    const rows: T[] = [];
    for (let p = 0; p < partitions; p++) {
      const bytes = await store.get(sinkPartKey(this.name, batchTime, p));
      if (bytes) rows.push(...parseLines<T>(bytes));
    }
    return rows;
  }

  private jsonLines(rows: T[], info: SinkPartitionInfo): string {
    return rows.map((row, i) => this.line(row, i, info)).join('\n');
  }

  private line(row: T, index: number, info: SinkPartitionInfo): string {
    const text = JSON.stringify(row);
    if (text === undefined) {
      throw new InvalidGraphError(
        `StoreSink '${this.name}' cannot write ${typeof row} (row ${index} of partition ${info.partition}, batch ${info.batchTime}): map it to null or filter it out before writeTo`,
        { sink: this.name, partition: info.partition, batchTime: info.batchTime },
      );
    }
    return text;
  }

  private createOnce(store: Store, key: string, text: string, batchTime: number): Promise<void> {
    return createOnce(store, new TextEncoder().encode(text), {
      sink: `StoreSink '${this.name}'`,
      key,
      batchTime,
    });
  }
}

function parseLines<T>(bytes: Uint8Array): T[] {
  const text = new TextDecoder().decode(bytes);
  return text.length > 0 ? text.split('\n').map((line) => JSON.parse(line) as T) : [];
}
