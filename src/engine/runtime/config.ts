import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import type { JobDefinition } from '../api/job';
import { jobStoreIn } from '../catalog/layout';
import { FsStore } from '../io/fs-store';
import type { Store } from '../io/ports';
import { s3ClientFor } from '../io/s3-client';
import { S3Store } from '../io/s3-store';
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

/** The forms SLUICE_STORE accepts, for error messages. */
export const STORE_FORMS =
  "s3://bucket/prefix/ (S3), an absolute directory path such as /var/lib/sluice, or a './'-relative one such as ./data";

/** Where a store lives, parsed from its configured location. */
export type StoreLocation = { kind: 's3'; bucket: string; prefix: string } | { kind: 'fs'; root: string };

/** S3 bucket names: 3-63 lowercase letters, digits, dots and hyphens, starting and ending alphanumeric. */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * Parses a store location: `s3://bucket/prefix/`, an absolute path (or a `file:///absolute/path` URL), or a
 * path relative to the working directory spelled `./dir` (or `../dir`). Anything else (`s3:/typo`,
 * `bucket/prefix`, `file:relative`) is refused rather than taken for a directory named after the typo.
 */
export function parseStoreLocation(location: string, variable = 'SLUICE_STORE'): StoreLocation {
  const refuse = (why: string): never => {
    throw new RuntimeError(`invalid configuration: ${variable} '${location}' ${why}; use ${STORE_FORMS}`, {
      variable,
      value: location,
      accepted: STORE_FORMS,
    });
  };
  if (/^s3:\/\//i.test(location)) {
    const [, bucket = '', rest = ''] = /^s3:\/\/([^/]*)\/?(.*)$/i.exec(location) ?? [];
    if (!BUCKET.test(bucket)) refuse(`names no valid S3 bucket ('${bucket}')`);
    if (rest.startsWith('/') || rest.includes('//')) refuse('has an empty segment in its prefix');
    return { kind: 's3', bucket, prefix: rest && !rest.endsWith('/') ? `${rest}/` : rest };
  }
  if (/^file:\/\/\//i.test(location)) return { kind: 'fs', root: resolve(location.slice('file://'.length)) };
  if (isAbsolute(location)) return { kind: 'fs', root: resolve(location) };
  if (/^\.\.?\//.test(location)) return { kind: 'fs', root: resolve(location) };
  if (/^s3:/i.test(location)) return refuse("is not an S3 location: it must start with 's3://'");
  if (/^[a-z][a-z0-9+.-]*:/i.test(location))
    return refuse('is neither an s3:// location nor a directory path');
  return refuse("is ambiguous: a relative directory must start with './'");
}

/** The store at a location checked by `parseStoreLocation`: S3 (through `s3Endpoint` when given) or a directory. */
export function storeFrom(location: string, s3Endpoint?: string, variable = 'SLUICE_STORE'): Store {
  const parsed = parseStoreLocation(location, variable);
  if (parsed.kind === 'fs') return new FsStore({ root: parsed.root });
  return new S3Store({
    client: s3ClientFor({ endpoint: s3Endpoint }),
    bucket: parsed.bucket,
    prefix: parsed.prefix,
  });
}

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
