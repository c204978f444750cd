import { z } from 'zod';
import { contextFor } from '../api/job';
import { runTask, type TaskEnvironment, type TaskResult, type TaskSpec } from '../exec';
import { SystemClock } from '../io/clock';
import { InProcessInvoker } from '../io/in-process-invoker';
import type { Invoker } from '../io/ports';
import { loadOrCreateJobState } from '../schedule';
import { jobStore, type RuntimeConfig } from './config';
import { RuntimeError } from './errors';
import { loadJobModule, taskEnvironment } from './job-loader';

/**
 * The task function's body: run exactly one task description. Environments are per job (each job has
 * its own store prefix) and kept for the life of the process, so a warm function reuses the graph.
 */
export function taskFunction(config: RuntimeConfig): (event: unknown) => Promise<TaskResult> {
  const environments = new Map<string, TaskEnvironment>();
  return (event) => {
    const job = typeof (event as { job?: unknown })?.job === 'string' ? (event as { job: string }).job : '';
    let environment = environments.get(job);
    if (!environment) {
      environment = taskEnvironment(jobStore(config.store, job), config.jobs);
      environments.set(job, environment);
    }
    return runTask(event, environment);
  };
}

const CoordinatorEventSchema = z.object({ job: z.string().min(1, 'must name the job to run') }).passthrough();

/** Checks the coordinator's event (from the schedule rule): it must name a job. */
export function parseCoordinatorEvent(event: unknown): { job: string } {
  const parsed = CoordinatorEventSchema.safeParse(event);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `field '${i.path.join('.') || '(root)'}' ${i.message}`);
    throw new RuntimeError(`invalid coordinator event: ${problems.join('; ')}`, { problems });
  }
  return { job: parsed.data.job };
}

export interface CoordinatorRunOptions {
  job: string;
  /** Milliseconds this invocation may still run (Lambda's getRemainingTimeInMillis). */
  remainingMs: () => number;
  /** Stop starting batches when less than this remains (default: two batch intervals plus 5 s). */
  safetyMarginMs?: number;
  invoker?: Invoker<TaskSpec, TaskResult>;
}

export interface CoordinatorRunSummary {
  job: string;
  batches: number;
  lastBatchTime?: number;
}

/**
 * The coordinator function's body: resume the job from its store, run batches on the batch clock until
 * the invocation is about to end, and return. The next scheduled invocation resumes where this stopped.
 */
export async function runCoordinator(
  config: RuntimeConfig,
  options: CoordinatorRunOptions,
): Promise<CoordinatorRunSummary> {
  const modulePath = config.jobs[options.job];
  if (!modulePath) {
    throw new RuntimeError(
      `unknown job '${options.job}': configured jobs are ${Object.keys(config.jobs).join(', ')}`,
      {
        job: options.job,
      },
    );
  }
  const context = contextFor(loadJobModule(modulePath));
  const store = jobStore(config.store, context.name);
  const clock = new SystemClock();
  const state = await loadOrCreateJobState(store, {
    job: context.name,
    batchMs: context.batchMs,
    zeroTime: Math.floor(clock.now() / context.batchMs) * context.batchMs,
  });
  const invoker =
    options.invoker ??
    new InProcessInvoker<TaskSpec, TaskResult>(
      (spec) => runTask(spec, { store, graphFor: () => context.graph }),
      2,
    );
  const margin = options.safetyMarginMs ?? 2 * context.batchMs + 5000;
  let batches = 0;
  let lastBatchTime: number | undefined;
  context.start({
    store,
    clock,
    invoker,
    zeroTime: state.zeroTime,
    onBatch: (info) => {
      batches++;
      lastBatchTime = info.batchTime;
      if (options.remainingMs() < margin) void context.stop();
    },
  });
  if (options.remainingMs() < margin) await context.stop();
  await context.awaitTermination();
  return { job: context.name, batches, lastBatchTime };
}
