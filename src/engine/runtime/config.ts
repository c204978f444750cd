import { resolve } from 'node:path';
import { z } from 'zod';
import type { JobDefinition } from '../api/job';
import { jobStoreIn } from '../catalog/layout';
import type { Store } from '../io/ports';
import { storeFrom } from '../io/store-location';
import { JobLoadError, RuntimeError } from './errors';

/** A job given as code already loaded (the Lambda bundle's registry) or as a module path (embedded). */
export type JobSource = JobDefinition | string;

const JobPathsSchema = z.string().transform((text, ctx) => {
  try {
    return z.record(z.string().min(1), z.string().min(1)).parse(JSON.parse(text));
  } catch (error) {
    ctx.addIssue({
      code: 'custom',
      message: `must be a JSON object of job name to module path (${(error as Error).message})`,
    });
    return z.NEVER;
  }
});

/** Configuration a deployed function reads from its environment; every field is checked at start. */
const EnvSchema = z.object({
  SLUICE_STORE: z
    .string({
      error:
        "is required: s3://bucket/prefix/ on AWS, or an absolute or './'-relative directory path on one machine",
    })
    .min(1, "must not be empty: s3://bucket/prefix/, or an absolute or './'-relative directory path"),
  SLUICE_JOBS: JobPathsSchema.optional(),
  SLUICE_TASK_FUNCTION: z.string().min(1).optional(),
  SLUICE_TASK_PARALLELISM: z.coerce.number().int().positive().optional(),
  SLUICE_TASK_MEMORY_MB: z.coerce.number().int().min(128).max(10_240).optional(),
  SLUICE_SMALL_BATCH_RECORDS: z.coerce.number().int().nonnegative().optional(),
  SLUICE_HOLD_MB: z.coerce.number().int().min(16).optional(),
  /** Set by Lambda: the function's configured memory. */
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: z.coerce.number().int().positive().optional(),
  AWS_ENDPOINT_URL: z.url().optional(),
  AWS_ENDPOINT_URL_S3: z.url().optional(),
  AWS_ENDPOINT_URL_LAMBDA: z.url().optional(),
});

export interface RuntimeConfig {
  jobs: Record<string, JobSource>;
  /** The store root; each job works under `jobs/<name>/`. */
  store: Store;
  /** Task Lambda to invoke; tasks run in the coordinator's process when unset. */
  taskFunction?: string;
  taskParallelism: number;
  /** The task function's memory, for the billed GB-s each batch records (default: serverless.yml's 1,769 MB). */
  taskMemoryMb?: number;
  /** Batches with at most this many input records run in the coordinator, without task invocations. */
  smallBatchRecords?: number;
  /** What the coordinator may hold between batches, in MB: SLUICE_HOLD_MB, or half of a Lambda's memory. */
  holdMb?: number;
  lambdaEndpoint?: string;
}

export function configFromEnv(
  env: Record<string, string | undefined>,
  registry: Record<string, JobDefinition> = {},
): RuntimeConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`);
    throw new RuntimeError(`invalid configuration: ${problems.join('; ')}`, { problems });
  }
  const values = parsed.data;
  const paths = Object.fromEntries(
    Object.entries(values.SLUICE_JOBS ?? {}).map(([name, path]) => [name, resolve(path)]),
  );
  const jobs: Record<string, JobSource> = { ...registry, ...paths };
  if (Object.keys(jobs).length === 0) {
    throw new RuntimeError(
      'invalid configuration: no jobs; add them to functions/jobs.ts or list module paths in SLUICE_JOBS',
    );
  }
  return {
    jobs,
    store: storeFrom(values.SLUICE_STORE, values.AWS_ENDPOINT_URL_S3 ?? values.AWS_ENDPOINT_URL),
    taskFunction: values.SLUICE_TASK_FUNCTION,
    taskParallelism: values.SLUICE_TASK_PARALLELISM ?? 64,
    taskMemoryMb: values.SLUICE_TASK_MEMORY_MB,
    smallBatchRecords: values.SLUICE_SMALL_BATCH_RECORDS,
    holdMb:
      values.SLUICE_HOLD_MB ??
      (values.AWS_LAMBDA_FUNCTION_MEMORY_SIZE === undefined
        ? undefined
        : Math.floor(values.AWS_LAMBDA_FUNCTION_MEMORY_SIZE / 2)),
    lambdaEndpoint: values.AWS_ENDPOINT_URL_LAMBDA ?? values.AWS_ENDPOINT_URL,
  };
}

export { parseStoreLocation, STORE_FORMS, type StoreLocation, storeFrom } from '../io/store-location';

/**
 * The job named `name` among the configured ones, by own property only (so `constructor` or `__proto__`
 * is an unknown job, not an inherited member of Object).
 */
export function configuredJob(jobs: Record<string, JobSource>, name: string): JobSource {
  const source = Object.hasOwn(jobs, name) ? jobs[name] : undefined;
  if (source === undefined || source === null) {
    const known = Object.keys(jobs);
    throw new JobLoadError(
      `unknown job '${name}': configured jobs are ${known.length > 0 ? known.join(', ') : '(none)'}`,
      { job: name, configured: known },
    );
  }
  return source;
}

/** One job's view of the root store: metadata under `jobs/<job>/`, transient data under `transient/<job>/`. */
export function jobStore(root: Store, job: string): Store {
  return jobStoreIn(root, job);
}
