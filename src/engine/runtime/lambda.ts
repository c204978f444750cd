import { z } from 'zod';
import { contextFor, type JobDefinition } from '../api/job';
import type { StartOptions, StreamingContext } from '../api/streaming-context';
import { parseTaskSpec, runTask, type TaskResult, type TaskSpec } from '../exec';
import { lambdaClient } from '../io/aws-clients';
import { SystemClock } from '../io/clock';
import { InProcessInvoker } from '../io/in-process-invoker';
import { LambdaInvoker } from '../io/lambda-invoker';
import type { Clock, Invoker, Store } from '../io/ports';
import type { BatchInfo } from '../schedule';
import { bytesFromWire, bytesToWire } from '../util/wire-bytes';
import { configuredJob, jobStore, type RuntimeConfig } from './config';
import { RuntimeError } from './errors';
import { type CheckedTaskEnvironment, loadJobModule, taskEnvironment } from './job-loader';

/**
 * The task function's body: run exactly one task description. Environments are per job (each job has
 * its own store prefix) and kept for the life of the process, so a warm function reuses the graph.
 */
export function taskFunction(config: RuntimeConfig): (event: unknown) => Promise<unknown> {
  const environments = new Map<string, CheckedTaskEnvironment>();
  return async (event) => {
    // Malformed payloads, unknown jobs and times that do not fit the job's stored identity are refused
    // before any job code runs or anything is written.
    const spec = parseTaskSpec(bytesFromWire(event));
    configuredJob(config.jobs, spec.job);
    let environment = environments.get(spec.job);
    if (!environment) {
      environment = taskEnvironment(jobStore(config.store, spec.job), config.jobs);
      environments.set(spec.job, environment);
    }
    // Lambda's runtime sends the result back as JSON: byte arrays go as base64.
    return bytesToWire(await environment.run(spec));
  };
}

const CoordinatorEventSchema = z
  .object({
    job: z.string({ error: 'must name the job to run' }).min(1, 'must name the job to run'),
    watchdog: z.boolean({ error: 'must be true or false' }).optional(),
    successorOf: z.string().min(1, "must be the outgoing coordinator's owner id").optional(),
    owner: z.string().min(1, 'must be a lease owner id').optional(),
  })
  .strict()
  .superRefine((event, ctx) => {
    if (event.successorOf !== undefined && event.owner === undefined) {
      ctx.addIssue({ code: 'custom', path: ['owner'], message: 'is required with successorOf' });
    }
    if (event.watchdog && event.successorOf !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['watchdog'], message: 'cannot be combined with successorOf' });
    }
  });

/**
 * What a coordinator invocation is asked to do:
 * - `{ job }`: run the job; fails with LeaseHeldError while another coordinator holds a live lease.
 * - `{ job, watchdog: true }` (the schedule, every minute): run the job only if no coordinator holds a
 *   live lease; otherwise return `{ status: 'already running', holder }` at once.
 * - `{ job, successorOf, owner }` (sent by an outgoing coordinator): run as `owner`, waiting until the
 *   outgoing coordinator hands its lease over (or the lease expires).
 */
export interface CoordinatorEvent {
  job: string;
  watchdog?: boolean;
  successorOf?: string;
  owner?: string;
}

/** Checks the coordinator's event (the watchdog schedule, or an outgoing coordinator); see CoordinatorEvent. */
export function parseCoordinatorEvent(event: unknown): CoordinatorEvent {
  const parsed = CoordinatorEventSchema.safeParse(event);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) =>
      i.code === 'unrecognized_keys'
        ? `field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `'${k}'`).join(', ')} not expected (a coordinator event is { job, watchdog?, successorOf?, owner? })`
        : `field '${i.path.join('.') || '(root)'}' ${i.message}`,
    );
    throw new RuntimeError(`invalid coordinator event: ${problems.join('; ')}`, { problems });
  }
  const { job, watchdog, successorOf, owner } = parsed.data;
  return {
    job,
    ...(watchdog !== undefined ? { watchdog } : {}),
    ...(successorOf !== undefined ? { successorOf } : {}),
    ...(owner !== undefined ? { owner } : {}),
  };
}

export interface RunningCoordinator {
  context: StreamingContext;
  store: Store;
  /** Stops after the batch in progress. */
  stop(): Promise<void>;
  /** Resolves when the coordinator stops; rejects if a batch failed. */
  done: Promise<void>;
}

export interface CoordinatorStartOptions {
  job: string;
  clock?: Clock;
  invoker?: Invoker<TaskSpec, TaskResult>;
  onBatch?: (info: BatchInfo) => void;
  log?: (line: string) => void;
  /** Fault injection and tuning (chaos runs): wraps of the job's store and task invoker, start options. */
  wrapStore?: (store: Store) => Store;
  wrapInvoker?: (invoker: Invoker<TaskSpec, TaskResult>) => Invoker<TaskSpec, TaskResult>;
  start?: Pick<
    StartOptions,
    | 'owner'
    | 'leaseTtlMs'
    | 'retry'
    | 'speculation'
    | 'batchRetries'
    | 'batchRetryBackoffMs'
    | 'deadline'
    | 'coordinatorLog'
    | 'listeners'
  >;
}

/**
 * Starts a job's coordinator from configuration: resume from the store (same zero time, after the last
 * committed batch) and run batches on the batch clock, with tasks on the configured task function.
 */
export async function startCoordinator(
  config: RuntimeConfig,
  options: CoordinatorStartOptions,
): Promise<RunningCoordinator> {
  const source = configuredJob(config.jobs, options.job);
  const definition: JobDefinition = typeof source === 'string' ? loadJobModule(source) : source;
  const context = contextFor(definition, options.log);
  const store = (options.wrapStore ?? ((s: Store) => s))(jobStore(config.store, context.name));
  const clock = options.clock ?? new SystemClock();
  const base = options.invoker ?? taskInvoker(config, store, context);
  const invoker = options.wrapInvoker ? options.wrapInvoker(base) : base;
  context.start({
    ...options.start,
    store,
    clock,
    invoker,
    onBatch: options.onBatch,
    taskMemoryMb: config.taskMemoryMb,
    smallBatchRecords: config.smallBatchRecords,
    holdMb: config.holdMb,
  });
  const done = context.awaitTermination();
  done.catch(() => undefined);
  // Bad configuration (a missing bucket or stream, a changed job) fails the start, not a later batch.
  await Promise.race([context.coordinator!.resume(), done]);
  return { context, store, done, stop: () => context.stop() };
}

function taskInvoker(
  config: RuntimeConfig,
  store: Store,
  context: StreamingContext,
): Invoker<TaskSpec, TaskResult> {
  if (config.taskFunction) {
    return new LambdaInvoker<TaskSpec, TaskResult>({
      client: lambdaClient({ endpoint: config.lambdaEndpoint }),
      functionName: config.taskFunction,
      parallelism: config.taskParallelism,
    });
  }
  return new InProcessInvoker<TaskSpec, TaskResult>(
    (spec) => runTask(spec, { store, graphFor: () => context.graph }),
    2,
  );
}
