import { resolve } from 'node:path';
import { contextFor, type JobDefinition, jobFromModule } from '../api/job';
import { JobCatalog, type JobState } from '../catalog/job-catalog';
import { JOB_KEY } from '../catalog/layout';
import { InvalidTaskSpecError, parseTaskSpec, runTask, type TaskEnvironment, type TaskResult } from '../exec';
import type { DStreamGraph } from '../graph';
import { meteredStore, meteredTask } from '../io/metering';
import type { Store } from '../io/ports';
import { configuredJob, type JobSource } from './config';
import { JobLoadError } from './errors';

/** Loads a job module (TypeScript works when a TS loader such as tsx is registered). */
export function loadJobModule(modulePath: string): JobDefinition {
  const absolute = resolve(modulePath);
  let loaded: unknown;
  try {
    loaded = require(absolute);
  } catch (error) {
    throw new JobLoadError(
      `cannot load job module ${absolute}: ${(error as Error).message}`,
      { modulePath },
      { cause: error },
    );
  }
  return jobFromModule(loaded, absolute);
}

/** A task environment that also runs a task request after checking it against the job's stored identity. */
export interface CheckedTaskEnvironment extends TaskEnvironment {
  /** Parses the request, checks it against the job (name, zero time, batch time), then runs it. */
  run(request: unknown): Promise<TaskResult>;
}

/**
 * The task side of "jobs are code": builds each job's graph once per process (and per zero time) from
 * its module, so warm workers and warm Lambdas reuse it batch after batch. `store` is the job's own store
 * (`jobStoreIn(root, job)`): the job's identity there decides which zero time and batch times a task may
 * name, so a payload cannot make a task write under another clock over committed output.
 */
export function taskEnvironment(store: Store, jobModules: Record<string, JobSource>): CheckedTaskEnvironment {
  const graphs = new Map<string, DStreamGraph>();
  const identity = new StoredIdentity(meteredStore(store));
  const environment: CheckedTaskEnvironment = {
    store,
    async graphFor(job, zeroTime) {
      const source = configuredJob(jobModules, job);
      await identity.check(job, zeroTime);
      const cacheKey = `${job}@${zeroTime}`;
      let graph = graphs.get(cacheKey);
      if (!graph) {
        const ssc = contextFor(typeof source === 'string' ? loadJobModule(source) : source, () => undefined);
        if (ssc.name !== job) {
          throw new JobLoadError(
            `job '${job}' is defined as '${ssc.name}'; the registered name and the job name must match`,
            { job },
          );
        }
        ssc.graph.start(zeroTime);
        graph = ssc.graph;
        graphs.set(cacheKey, graph);
      }
      return graph;
    },
    async run(request) {
      const spec = parseTaskSpec(request);
      configuredJob(jobModules, spec.job);
      // Reading the job's identity (once per warm process) is one of the task's requests too.
      return meteredTask(async () => {
        await identity.check(spec.job, spec.zeroTime, spec.batchTime);
        return runTask(spec, environment);
      });
    },
  };
  return environment;
}

/**
 * The job's identity as a task process knows it: read from the store once (per warm process), and read
 * again once when a task disagrees with it, in case the job was legitimately created anew since.
 */
class StoredIdentity {
  private cached?: Promise<JobState | undefined>;

  constructor(private readonly store: Store) {}

  /** Throws InvalidTaskSpecError unless the job has an identity and the task's times fit it. */
  async check(job: string, zeroTime: number, batchTime?: number): Promise<void> {
    const first = mismatch(await this.read(false), job, zeroTime, batchTime);
    if (!first) return;
    const second = mismatch(await this.read(true), job, zeroTime, batchTime);
    if (second) throw second;
  }

  private read(fresh: boolean): Promise<JobState | undefined> {
    if (fresh || !this.cached) {
      const reading = new JobCatalog(this.store).readJob();
      this.cached = reading;
      // Do not keep a failed read or a missing identity: the next task reads again.
      reading.then(
        (state) => {
          if (!state && this.cached === reading) this.cached = undefined;
        },
        () => {
          if (this.cached === reading) this.cached = undefined;
        },
      );
    }
    return this.cached;
  }
}

/** Why a task of `job` at (`zeroTime`, `batchTime`) cannot run against the stored identity, if it cannot. */
function mismatch(
  state: JobState | undefined,
  job: string,
  zeroTime: number,
  batchTime: number | undefined,
): InvalidTaskSpecError | undefined {
  if (!state) {
    return new InvalidTaskSpecError(
      `task for job '${job}' refused: the job has no stored identity (${JOB_KEY} in its store), so it has ` +
        'not been started; tasks run only for a started job (start its coordinator first)',
      { field: 'job', value: job },
    );
  }
  if (state.job !== job) {
    return new InvalidTaskSpecError(
      `task for job '${job}' refused: field 'job' is '${job}' but the store's job is '${state.job}'`,
      { field: 'job', value: job, expected: state.job },
    );
  }
  if (zeroTime !== state.zeroTime) {
    return new InvalidTaskSpecError(
      `task for job '${job}' refused: field 'zeroTime' is ${zeroTime} but the job's stored zero time is ` +
        `${state.zeroTime}`,
      { field: 'zeroTime', value: zeroTime, expected: state.zeroTime },
    );
  }
  if (batchTime === undefined) return undefined;
  const k = (batchTime - state.zeroTime) / state.batchMs;
  if (!Number.isInteger(k) || k < 1) {
    return new InvalidTaskSpecError(
      `task for job '${job}' refused: field 'batchTime' is ${batchTime} but the job's batch times are ` +
        `zeroTime + k * batchMs with k >= 1 (zero time ${state.zeroTime}, batch interval ${state.batchMs} ms, ` +
        `first batch ${state.zeroTime + state.batchMs})`,
      {
        field: 'batchTime',
        value: batchTime,
        expected: { zeroTime: state.zeroTime, batchMs: state.batchMs },
      },
    );
  }
  return undefined;
}
