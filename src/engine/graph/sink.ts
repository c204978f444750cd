import type { Store } from '../io/ports';

export interface SinkPartitionInfo {
  batchTime: number;
  partition: number;
  numPartitions: number;
  /** The job's store (already scoped to the job's prefix). */
  store: Store;
}

export interface SinkBatchInfo {
  batchTime: number;
  numPartitions: number;
  store: Store;
}

/**
 * An output destination. Tasks call `writePartition` (possibly more than once for the same partition,
 * after a retry or a speculative copy), so writes must be idempotent: same batch and partition, same
 * place. The coordinator calls `commitBatch` once every partition is written.
 */
export interface Sink<T> {
  readonly name: string;
  writePartition(rows: T[], info: SinkPartitionInfo): Promise<void>;
  /**
   * Optional: writes a whole batch's rows at once, from the coordinator, in as few objects as their size
   * allows (the rows reached it in task results). When present it replaces `writePartition`, and
   * `commitBatch` follows with `numPartitions` 1. Must be idempotent like `writePartition`.
   */
  writeBatch?(rows: T[], info: SinkBatchInfo): Promise<void>;
  commitBatch(info: SinkBatchInfo): Promise<void>;
}
