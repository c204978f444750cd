import { resolve } from 'node:path';
import { z } from 'zod';
import { FsStore } from '../io/fs-store';
import type { Store } from '../io/ports';
import { PrefixedStore } from '../io/prefixed-store';
import { RuntimeError } from './errors';

/** Configuration a deployed function reads from its environment; every field is checked at start. */
const EnvSchema = z.object({
  /** Job modules by job name, as JSON: {"wordcount":"examples/jobs/wordcount.ts"}. */
  SLUICE_JOBS: z
    .string({ error: 'is required: a JSON object mapping job names to job module paths' })
    .transform((text, ctx) => {
      try {
        const parsed = z.record(z.string().min(1), z.string().min(1)).parse(JSON.parse(text));
        if (Object.keys(parsed).length === 0) throw new Error('no jobs listed');
        return parsed;
      } catch (error) {
        ctx.addIssue({
          code: 'custom',
          message: `must be a JSON object of job name to module path (${(error as Error).message})`,
        });
        return z.NEVER;
      }
    }),
  /** Directory of the filesystem store (embedded and serverless-offline deployments). */
  SLUICE_STORE_DIR: z.string().min(1, 'must name a directory for the store'),
});

export interface RuntimeConfig {
  jobs: Record<string, string>;
  /** The store root; each job works under `jobs/<name>/`. */
  store: Store;
}

export function configFromEnv(env: Record<string, string | undefined>): RuntimeConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`);
    throw new RuntimeError(`invalid configuration: ${problems.join('; ')}`, { problems });
  }
  const jobs = Object.fromEntries(
    Object.entries(parsed.data.SLUICE_JOBS).map(([name, path]) => [name, resolve(path)]),
  );
  return { jobs, store: new FsStore({ root: resolve(parsed.data.SLUICE_STORE_DIR) }) };
}

export function jobStore(root: Store, job: string): Store {
  return new PrefixedStore(root, `jobs/${job}/`);
}
