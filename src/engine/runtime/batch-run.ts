/**
 * Runs a batch job module to completion on this machine: tasks in this thread (`memory`) or on a
 * worker-thread pool that loads the module as Lambda tasks do (`threads`). The CLI's `sluice batch`.
 */
import { resolve } from 'node:path';
import { type BatchJobDefinition, isBatchJob, runBatchJob } from '../api/batch-job';
import { jobStoreIn } from '../catalog/layout';
import type { TaskResult, TaskSpec } from '../exec';
import { MemoryStore } from '../io/memory-store';
import type { Store } from '../io/ports';
import { WorkerPoolInvoker } from '../io/worker-pool';
import { JobLoadError } from './errors';

export interface BatchModuleRun {
  /** Path of the module (`export default defineBatchJob(...)`). */
  module: string;
  /** The root store; the job keeps its manifests under `jobs/<name>/` (default: in memory). */
  store?: Store;
  runtime?: 'memory' | 'threads';
  workers?: number;
}

/** The batch job a module exports (default export or the module itself). */
export function loadBatchJob(modulePath: string): BatchJobDefinition<unknown> {
  const absolute = resolve(modulePath);
  let loaded: unknown;
  try {
    loaded = require(absolute);
  } catch (error) {
    throw new JobLoadError(
      `cannot load job module ${absolute}: ${(error as Error).message.split('\n')[0]}`,
      { modulePath },
      {
        cause: error,
      },
    );
  }
  const job = (loaded as { default?: unknown })?.default ?? loaded;
  if (!isBatchJob(job)) {
    throw new JobLoadError(
      `${absolute} does not export a batch job: export default defineBatchJob({ name, build(ctx) { return ctx.dataset(...).rdd() } })`,
      { modulePath },
    );
  }
  return job;
}

/** The job's result rows, once it has committed (and written its output sink, if it has one). */
export async function runBatchModule(options: BatchModuleRun): Promise<unknown[]> {
  const job = loadBatchJob(options.module);
  const store = options.store ? jobStoreIn(options.store, job.name) : new MemoryStore();
  const workers = options.workers ?? 2;
  const invoker =
    options.runtime === 'threads'
      ? new WorkerPoolInvoker<TaskSpec, TaskResult>({
          script: resolve(__dirname, __filename.endsWith('.ts') ? 'worker-main.ts' : 'worker-main.js'),
          workers,
          store,
          workerData: { jobs: { [job.name]: resolve(options.module) } },
        })
      : undefined;
  try {
    return await runBatchJob(job, { store, workers, invoker });
  } finally {
    await invoker?.close();
  }
}
