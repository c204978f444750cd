import { InvalidGraphError } from '../graph';
import type { Duration } from '../util/duration';
import { batchJobAsStreamingJob, isBatchJob } from './batch-job';
import { StreamingContext } from './streaming-context';

/**
 * A job is code: a module whose default export is a JobDefinition. The coordinator and every task
 * process load the same module and call `build`, so they agree on every stream and lineage id.
 */
export interface JobDefinition {
  name: string;
  batchInterval: Duration;
  partitions?: number;
  build(ssc: StreamingContext): void;
}

export function defineJob(definition: JobDefinition): JobDefinition {
  if (typeof definition?.build !== 'function') {
    throw new InvalidGraphError('defineJob needs a build(ssc) function that defines the streams and outputs');
  }
  return definition;
}

/** Builds a fresh context and graph from a job definition. */
export function contextFor(definition: JobDefinition, log?: (line: string) => void): StreamingContext {
  const ssc = new StreamingContext({
    batchInterval: definition.batchInterval,
    partitions: definition.partitions,
    name: definition.name,
    log,
  });
  definition.build(ssc);
  return ssc;
}

/** Accepts `export default defineJob(...)` as well as `module.exports = defineJob(...)`. */
export function jobFromModule(loaded: unknown, where: string): JobDefinition {
  const candidate = (loaded as { default?: unknown })?.default ?? loaded;
  // A batch job module (defineBatchJob) runs as the streaming job of its one batch, in every process.
  if (isBatchJob(candidate)) return batchJobAsStreamingJob(candidate);
  if (
    typeof (candidate as JobDefinition)?.build !== 'function' ||
    typeof (candidate as JobDefinition).name !== 'string'
  ) {
    throw new InvalidGraphError(
      `${where} does not export a job: export default defineJob({ name, batchInterval, build(ssc) { ... } })`,
      { where },
    );
  }
  return candidate as JobDefinition;
}
