import { OutputDStream, type Sink } from '../graph';
import type { DStream } from './dstream-base';

/** A function that takes one partition of one batch, in the task that computed it. */
export type PartitionAction<T> = (rows: T[], partition: number, time: number) => void | Promise<void>;

/** Output operations that run user code per partition inside the tasks (Spark's foreachRDD + foreachPartition). */
export class PartitionOutputOperations<T> {
  /**
   * Runs `fn` on every partition of every batch, inside the task that computed the partition (a
   * Lambda invocation on AWS), so rows never travel to the coordinator: open one connection per
   * partition and write its rows. The batch completes once every partition's `fn` has resolved; a
   * failure fails the batch. A retry or a speculative copy may run `fn` again for the same partition
   * and batch time, so its effect must be idempotent (key writes by time and partition).
   */
  foreachPartition(this: DStream<T>, fn: PartitionAction<T>): void {
    const sink: Sink<T> = {
      name: 'foreachPartition',
      writePartition: (rows, info) => Promise.resolve(fn(rows, info.partition, info.batchTime)),
      commitBatch: () => Promise.resolve(),
    };
    new OutputDStream(this.context.graph, this.node, { kind: 'sink', sink }, 'foreachPartition');
  }
}
