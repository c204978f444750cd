import { resolve } from 'node:path';
import { contextFor, type JobDefinition, jobFromModule } from '../api/job';
import type { TaskEnvironment } from '../exec';
import type { DStreamGraph } from '../graph';
import type { Store } from '../io/ports';
import type { JobSource } from './config';
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

/**
 * The task side of "jobs are code": builds each job's graph once per process (and per zero time) from
 * its module, so warm workers and warm Lambdas reuse it batch after batch.
 */
export function taskEnvironment(store: Store, jobModules: Record<string, JobSource>): TaskEnvironment {
  const graphs = new Map<string, DStreamGraph>();
  return {
    store,
    graphFor(job, zeroTime) {
      const cacheKey = `${job}@${zeroTime}`;
      let graph = graphs.get(cacheKey);
      if (!graph) {
        const source = jobModules[job];
        if (!source) {
          throw new JobLoadError(
            `unknown job '${job}': this task runner knows ${Object.keys(jobModules).join(', ') || 'no jobs'}`,
            { job },
          );
        }
        const ssc = contextFor(typeof source === 'string' ? loadJobModule(source) : source, () => undefined);
        if (ssc.name !== job) {
          throw new JobLoadError(
            `job '${job}' is defined as '${ssc.name}'; the registered name and the job name must match`,
            {
              job,
            },
          );
        }
        ssc.graph.start(zeroTime);
        graph = ssc.graph;
        graphs.set(cacheKey, graph);
      }
      return graph;
    },
  };
}
