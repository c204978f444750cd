/**
 * Test harness in the style of Spark's `testOperation`: input batches, an operation, the output batches.
 * Runs the real planner, coordinator, task execution and store with a manual clock, so it is fast and
 * deterministic. Input i arrives in batch i, at time `batchMs * (i + 1)`.
 */
import type { DStream } from './api/dstream';
import { StreamingContext } from './api/streaming-context';
import type { TaskResult, TaskSpec } from './exec';
import { ManualClock } from './io/clock';
import { MemoryStore } from './io/memory-store';
import type { Invoker, Store } from './io/ports';
import type { RetryPolicy } from './schedule';

export interface RunBatchesOptions {
  batchMs?: number;
  /** Partitions of the input blocks and default shuffle width (default 2). */
  partitions?: number;
  /** Batches to run (default: the number of inputs; later batches are empty). */
  numBatches?: number;
  /** Tasks that may run at once (default 2). */
  workers?: number;
  store?: Store;
  invoker?: Invoker<TaskSpec, TaskResult>;
  retry?: Partial<RetryPolicy>;
}

export interface BatchesRun<O> {
  /** For every batch time at which the stream produced a dataset, its elements in partition order. */
  outputs: O[][];
  /** The batch times of `outputs`. */
  times: number[];
  store: Store;
  context: StreamingContext;
}

export async function runBatches<I, O>(
  inputs: I[][],
  build: (stream: DStream<I>) => DStream<O>,
  options: RunBatchesOptions = {},
): Promise<O[][]> {
  return (await runBatchesDetailed(inputs, build, options)).outputs;
}

export async function runBatches2<A, B, O>(
  inputs1: A[][],
  inputs2: B[][],
  build: (a: DStream<A>, b: DStream<B>) => DStream<O>,
  options: RunBatchesOptions = {},
): Promise<O[][]> {
  const batches = options.numBatches ?? Math.max(inputs1.length, inputs2.length);
  return (await runOn((ssc) => build(ssc.queueStream(inputs1), ssc.queueStream(inputs2)), batches, options))
    .outputs;
}

/** Like runBatches, and also hands back the store and context (manifests, sink objects, stats). */
export function runBatchesDetailed<I, O>(
  inputs: I[][],
  build: (stream: DStream<I>) => DStream<O>,
  options: RunBatchesOptions = {},
): Promise<BatchesRun<O>> {
  return runOn((ssc) => build(ssc.queueStream(inputs)), options.numBatches ?? inputs.length, options);
}

async function runOn<O>(
  define: (ssc: StreamingContext) => DStream<O>,
  numBatches: number,
  options: RunBatchesOptions,
): Promise<BatchesRun<O>> {
  const batchMs = options.batchMs ?? 1000;
  const ssc = new StreamingContext({
    batchInterval: batchMs,
    partitions: options.partitions ?? 2,
    name: 'test',
  });
  const collected = new Map<number, O[]>();
  define(ssc).foreachBatch(async (rdd, time) => {
    collected.set(time, await rdd.collect());
  });
  const store = options.store ?? new MemoryStore();
  ssc.start({
    clock: new ManualClock(0, { autoAdvance: true }),
    zeroTime: 0,
    batches: numBatches,
    store,
    invoker: options.invoker,
    workers: options.workers ?? 2,
    retry: { backoffMs: 0, ...options.retry },
  });
  await ssc.awaitTermination();
  const times = [...collected.keys()].sort((a, b) => a - b);
  return { outputs: times.map((t) => collected.get(t)!), times, store, context: ssc };
}
