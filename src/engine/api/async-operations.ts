import {
  type AsyncPartitionFunction,
  type AsyncRecordFunction,
  asyncConcurrency,
  type MapAsyncOptions,
} from '../plan/async-operations';
import { type DStream, transformed } from './dstream-base';

export type { AsyncPartitionFunction, AsyncRecordFunction, MapAsyncOptions } from '../plan/async-operations';

/** Per-batch transformations whose user code is async (enrichment from a table or an HTTP service). */
export class AsyncOperations<T> {
  /**
   * `f` of every element, awaited with at most `concurrency` calls in flight per partition (default 16);
   * each batch keeps its input order whatever order the calls finish in. A failing call is a failing
   * record: the context's `onRecordError` dead-letters it (or fails the batch naming it), as for map.
   */
  mapAsync<U>(this: DStream<T>, f: AsyncRecordFunction<T, U>, options: MapAsyncOptions = {}): DStream<U> {
    // Checked here so that a bad option fails when the stream is defined, not at its first batch.
    const concurrency = asyncConcurrency('mapAsync', options);
    return transformed(this, 'mapAsync', (rdd) => rdd.mapAsync(f, { concurrency }));
  }

  /** `f` sees each partition of each batch (and its index) and resolves to the partition's new rows. */
  mapPartitionsAsync<U>(this: DStream<T>, f: AsyncPartitionFunction<T, U>): DStream<U> {
    return transformed(this, 'mapPartitionsAsync', (rdd) => rdd.mapPartitionsAsync(f));
  }
}
