import { SINK_COMMIT_MARKER, sinkMarkerKey, sinkPartKey, sinkPrefix } from '../catalog/layout';
import type { Sink, SinkBatchInfo, SinkPartitionInfo } from '../graph';
import { InvalidGraphError } from '../graph';
import { isConditionFailed } from '../io/errors';
import type { Store } from '../io/ports';

/**
 * Writes every batch to the job's store as JSON Lines, `sinks/<name>/<batch time>/part-<n>.jsonl`, then a
 * commit marker once all parts are in. The rows reach the coordinator in task results and go out as one
 * part per batch (two PUTs a batch, however many partitions), or one part per partition from the tasks
 * when driven that way.
 * Parts and the marker are written once (create-if-absent): a retried or speculative task finds its part
 * already there (the same bytes, as tasks are deterministic), and a stale coordinator can never replace
 * committed output. Readers that only look at committed batches see each batch's output exactly once.
 */
export interface StoreSinkOptions {
  /**
   * 'batch' (default): the coordinator writes each batch as one part from the rows tasks send back, the
   * cheapest for output that fits in task results. 'partition': every task writes its partition's part,
   * for outputs too big to pass through the coordinator.
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
    if (options.parts !== 'partition') {
      this.writeBatch = (rows, info) =>
        this.writePartition(rows, { ...info, partition: 0, numPartitions: 1 });
    }
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) {
      throw new InvalidGraphError(
        `sink name '${name}' must be letters, digits, '.', '_' or '-' (it names store keys)`,
      );
    }
  }

  async writePartition(rows: T[], info: SinkPartitionInfo): Promise<void> {
    const text = rows.map((row, i) => this.line(row, i, info)).join('\n');
    await createOnce(info.store, sinkPartKey(this.name, info.batchTime, info.partition), text);
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

  async commitBatch(info: SinkBatchInfo): Promise<void> {
    const marker = JSON.stringify({ batchTime: info.batchTime, partitions: info.numPartitions });
    await createOnce(info.store, sinkMarkerKey(this.name, info.batchTime), marker);
  }

  /** Batch times with committed output, in order. */
  async committedBatches(store: Store): Promise<number[]> {
    const entries = await store.list(sinkPrefix(this.name));
    return entries
      .filter((e) => e.key.endsWith(`/${SINK_COMMIT_MARKER}`))
      .map((e) => Number(e.key.split('/')[2]))
      .sort((a, b) => a - b);
  }

  /** The rows of a committed batch in partition order, or undefined if the batch is not committed. */
  async readBatch(store: Store, batchTime: number): Promise<T[] | undefined> {
    const marker = await store.get(sinkMarkerKey(this.name, batchTime));
    if (!marker) return undefined;
    const { partitions } = JSON.parse(new TextDecoder().decode(marker)) as { partitions: number };
    const rows: T[] = [];
    for (let p = 0; p < partitions; p++) {
      const bytes = await store.get(sinkPartKey(this.name, batchTime, p));
      const text = bytes ? new TextDecoder().decode(bytes) : '';
      if (text.length > 0) for (const line of text.split('\n')) rows.push(JSON.parse(line) as T);
    }
    return rows;
  }
}

/** Writes `text` unless the key exists: output once written is never replaced. */
async function createOnce(store: Store, key: string, text: string): Promise<void> {
  try {
    await store.putIf(key, new TextEncoder().encode(text), { ifAbsent: true });
  } catch (error) {
    if (!isConditionFailed(error)) throw error;
  }
}
