/**
 * Batch jobs on the streaming engine: a job whose one batch's dataset is what `build` returns. It runs
 * as a streaming job of exactly one batch, so planning, tasks, lineage recovery, the store, manifests
 * and exactly-once sinks are the ones streams use.
 */
import { JobCatalog } from '../catalog';
import type { TaskResult, TaskSpec } from '../exec';
import { InvalidGraphError, type Sink } from '../graph';
import { ConstantInputDStream } from '../graph/constant-input-dstream';
import { ManualClock } from '../io/clock';
import { MemoryStore } from '../io/memory-store';
import type { Invoker, Store } from '../io/ports';
import { RDD } from '../plan';
import { SluiceError } from '../util/errors';
import { BatchContext } from './batch-context';
import { DStream } from './dstream';
import type { JobDefinition } from './job';
import { StreamingContext } from './streaming-context';

export interface BatchJobDefinition<T> {
  /** Names the job in its store, like a streaming job's name. */
  name: string;
  /** Default partitions of its datasets and shuffles (default 4). */
  partitions?: number;
  /** Builds the result from datasets; it runs in every process, so it must be deterministic. */
  build(ctx: BatchContext): RDD<T>;
  /** Where the result is written, exactly once, besides being returned. */
  output?: Sink<T>;
}

export interface RunBatchJobOptions {
  /** The job's store (manifests, shuffles, sink output); default: in memory. */
  store?: Store;
  /** Tasks that run at once in this process (default 2). */
  workers?: number;
  /** Where tasks run instead (the engine's worker pool, Lambda). */
  invoker?: Invoker<TaskSpec, TaskResult>;
}

/** A batch job that cannot run as asked. */
export class BatchJobError extends SluiceError {}

/** The one batch's time: batch jobs run on a clock of their own, from zero. */
const BATCH_MS = 1000;

export function defineBatchJob<T>(definition: BatchJobDefinition<T>): BatchJobDefinition<T> {
  if (typeof definition?.build !== 'function' || typeof definition.name !== 'string') {
    throw new InvalidGraphError(
      'defineBatchJob needs a name and a build(ctx) function that returns an RDD, e.g. build: (ctx) => ctx.dataset("./data").rdd()',
    );
  }
  return definition;
}

/** True for what defineBatchJob returns: a name and a build, and no batch interval. */
export function isBatchJob(candidate: unknown): candidate is BatchJobDefinition<unknown> {
  const job = candidate as BatchJobDefinition<unknown> | undefined;
  return (
    typeof job?.build === 'function' && typeof job.name === 'string' && !('batchInterval' in (job as object))
  );
}

/**
 * The batch job as a streaming job definition, for processes that load jobs by module (task workers).
 * `onResult` receives the rows in the coordinator.
 */
export function batchJobAsStreamingJob<T>(
  definition: BatchJobDefinition<T>,
  onResult: (rows: T[]) => void = () => undefined,
): JobDefinition {
  return {
    name: definition.name,
    batchInterval: BATCH_MS,
    partitions: definition.partitions,
    build: (ssc) => wire(ssc, definition, onResult),
  };
}

/** Runs the job's one batch to completion and returns its rows (also written to `output`, if given). */
export async function runBatchJob<T>(
  definition: BatchJobDefinition<T>,
  options: RunBatchJobOptions = {},
): Promise<T[]> {
  defineBatchJob(definition);
  let result: T[] | undefined;
  const ssc = new StreamingContext({
    batchInterval: BATCH_MS,
    partitions: definition.partitions,
    name: definition.name,
    log: () => undefined,
  });
  wire(ssc, definition, (rows) => {
    result = rows;
  });
  const store = options.store ?? new MemoryStore();
  const done = await new JobCatalog(store).lastCommitted(0);
  if (done) {
    throw new BatchJobError(
      `batch job '${definition.name}' already ran to completion in this store (batch ${done.batchTime}); run it with an empty store or another name to run it again`,
      { job: definition.name },
    );
  }
  ssc.start({
    store,
    clock: new ManualClock(0, { autoAdvance: true }),
    zeroTime: 0,
    batches: 1,
    workers: options.workers,
    invoker: options.invoker,
  });
  await ssc.awaitTermination();
  if (!result) {
    throw new BatchJobError(`batch job '${definition.name}' finished without a result`, {
      job: definition.name,
    });
  }
  return result;
}

function wire<T>(ssc: StreamingContext, definition: BatchJobDefinition<T>, onResult: (rows: T[]) => void) {
  const ctx = new BatchContext(ssc);
  const build = (): RDD<T> => {
    ctx.rewind();
    const rdd = definition.build(ctx);
    if (!(rdd instanceof RDD)) {
      throw new InvalidGraphError(
        `batch job '${definition.name}': build must return an RDD (e.g. ctx.dataset(...).rdd().map(...)), got ${rdd === null ? 'null' : typeof rdd}`,
        { job: definition.name },
      );
    }
    return rdd;
  };
  // A first build finds the datasets, so they are listed before the job runs; its lineage is unused.
  const first = build();
  const node = new ConstantInputDStream<T>(ssc.graph, 'batch', first.numPartitions, () => build());
  const stream = new DStream(ssc, node);
  if (definition.output) stream.writeTo(definition.output);
  stream.foreachBatch(async (rdd) => onResult(await rdd.collect()));
}
