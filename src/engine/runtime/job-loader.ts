import { resolve } from 'node:path';
import { contextFor, type JobDefinition, jobFromModule } from '../api/job';
import type { TaskEnvironment } from '../exec';
import type { DStreamGraph } from '../graph';
import type { Store } from '../io/ports';
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
export function taskEnvironment(store: Store, jobModules: Record<string, string>): TaskEnvironment {
  const graphs = new Map<string, DStreamGraph>();
  return {
    store,
    graphFor(job, zeroTime) {
      const cacheKey = `${job}@${zeroTime}`;
      let graph = graphs.get(cacheKey);
      if (!graph) {
        const modulePath = jobModules[job];
        if (!modulePath) {
          throw new JobLoadError(
            `unknown job '${job}': this task runner knows ${Object.keys(jobModules).join(', ') || 'no jobs'}`,
            { job },
          );
        }
        const ssc = contextFor(loadJobModule(modulePath), () => undefined);
        if (ssc.name !== job) {
          throw new JobLoadError(`module ${modulePath} defines job '${ssc.name}', not '${job}'`, {
            job,
            modulePath,
          });
        }
        ssc.graph.start(zeroTime);
        graph = ssc.graph;
        graphs.set(cacheKey, graph);
      }
      return graph;
    },
  };
}
