import { resolve } from 'node:path';
import { contextFor } from '../api/job';
import type { StreamingContext } from '../api/streaming-context';
import { jobStoreIn } from '../catalog/layout';
import type { TaskResult, TaskSpec } from '../exec';
import { MemoryStore } from '../io/memory-store';
import type { Clock, Invoker, Store } from '../io/ports';
import { WorkerPoolInvoker } from '../io/worker-pool';
import type { BatchInfo, RetryPolicy } from '../schedule';
import { RuntimeError } from './errors';
import { loadJobModule } from './job-loader';

export type EmbeddedRuntime = 'memory' | 'threads';

export interface EmbeddedOptions {
  /** Path of the job module (`export default defineJob(...)`). */
  jobModule: string;
  /** `threads`: tasks run on a worker_threads pool; `memory`: in this thread. */
  runtime?: EmbeddedRuntime;
  workers?: number;
  store?: Store;
  clock?: Clock;
  retry?: Partial<RetryPolicy>;
  batches?: number;
  onBatch?: (info: BatchInfo) => void;
  log?: (line: string) => void;
  taskTimeoutMs?: number;
  /** Memory the task function would have on Lambda, for the billed GB-s of each batch (default 1,769 MB). */
  taskMemoryMb?: number;
  /** Batches with at most this many input records run in the coordinator, without task invocations. */
  smallBatchRecords?: number;
}

export interface EmbeddedJob {
  context: StreamingContext;
  store: Store;
  /** Stops after the batch in progress and releases the workers. */
  stop(): Promise<void>;
  /** Resolves when the job ends; rejects if a batch failed. */
  done: Promise<void>;
}

/** Runs a job module on one machine with the same coordinator and task code as the AWS deployment. */
export function startEmbedded(options: EmbeddedOptions): EmbeddedJob {
  const runtime = options.runtime ?? 'threads';
  if (runtime !== 'memory' && runtime !== 'threads') {
    throw new RuntimeError(`unknown runtime '${runtime}': use 'threads' or 'memory'`, { runtime });
  }
  const jobModule = resolve(options.jobModule);
  const definition = loadJobModule(jobModule);
  const context = contextFor(definition, options.log);
  const rootStore = options.store ?? new MemoryStore();
  const store = jobStoreIn(rootStore, context.name);
  const invoker: Invoker<TaskSpec, TaskResult> | undefined =
    runtime === 'threads'
      ? new WorkerPoolInvoker<TaskSpec, TaskResult>({
          script: workerScript(),
          workers: options.workers ?? 2,
          store,
          workerData: { jobs: { [context.name]: jobModule } },
          taskTimeoutMs: options.taskTimeoutMs,
        })
      : undefined;
  context.start({
    store,
    clock: options.clock,
    invoker,
    workers: options.workers,
    retry: options.retry,
    batches: options.batches,
    onBatch: options.onBatch,
    taskMemoryMb: options.taskMemoryMb,
    smallBatchRecords: options.smallBatchRecords,
  });
  const done = context.awaitTermination().finally(() => invoker?.close());
  done.catch(() => undefined);
  return {
    context,
    store,
    done,
    async stop() {
      await context.stop();
      await invoker?.close();
    },
  };
}

/** The worker entry next to this file: TypeScript when running from source, JavaScript when built. */
function workerScript(): string {
  return resolve(__dirname, __filename.endsWith('.ts') ? 'worker-main.ts' : 'worker-main.js');
}
