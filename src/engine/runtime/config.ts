import { resolve } from 'node:path';
import { z } from 'zod';
import type { JobDefinition } from '../api/job';
import { jobStoreIn } from '../catalog/layout';
import { FsStore } from '../io/fs-store';
import type { Store } from '../io/ports';
import { S3Store, s3ClientFor } from '../io/s3-store';
import { RuntimeError } from './errors';

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
    .string({ error: 'is required: s3://bucket/prefix/ on AWS, or a directory path on one machine' })
    .min(1, 'must not be empty: s3://bucket/prefix/ or a directory path'),
  SLUICE_JOBS: JobPathsSchema.optional(),
  SLUICE_TASK_FUNCTION: z.string().min(1).optional(),
  SLUICE_TASK_PARALLELISM: z.coerce.number().int().positive().optional(),
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
    lambdaEndpoint: values.AWS_ENDPOINT_URL_LAMBDA ?? values.AWS_ENDPOINT_URL,
  };
}

/** `s3://bucket/prefix/` is an S3 store; anything else is a directory. */
export function storeFrom(location: string, s3Endpoint?: string): Store {
  const s3 = /^s3:\/\/([^/]+)\/?(.*)$/.exec(location);
  if (!s3) return new FsStore({ root: resolve(location.replace(/^file:\/\//, '')) });
  const prefix = s3[2] && !s3[2].endsWith('/') ? `${s3[2]}/` : s3[2];
  return new S3Store({ client: s3ClientFor({ endpoint: s3Endpoint }), bucket: s3[1], prefix });
}

/** One job's view of the root store: metadata under `jobs/<job>/`, transient data under `transient/<job>/`. */
export function jobStore(root: Store, job: string): Store {
  return jobStoreIn(root, job);
}
