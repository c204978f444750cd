/**
 * `npm run batch -- <job module> [--store <location>] [--json]`: runs a batch job to completion in this
 * process and prints its result as a table (or JSON). Bad input is one clear line and a non-zero exit.
 */
import { resolve } from 'node:path';
import { type BatchJobDefinition, runBatchJob } from '../api/batch-job';
import { jobStoreIn } from '../catalog/layout';
import { MemoryStore } from '../io/memory-store';
import type { Store } from '../io/ports';
import { storeFrom } from '../io/store-location';
import { formatTable } from './batch-table';
import { JobLoadError, RuntimeError } from './errors';

const USAGE = 'usage: npm run batch -- <job module> [--store <location>] [--json]';

interface BatchArgs {
  module: string;
  store?: string;
  json: boolean;
}

export function parseBatchArgs(argv: readonly string[]): BatchArgs {
  let module: string | undefined;
  let store: string | undefined;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json') json = true;
    else if (arg === '--store') {
      store = argv[++i];
      if (!store)
        throw new RuntimeError(`--store needs a location (s3://bucket/prefix/ or a directory); ${USAGE}`);
    } else if (arg.startsWith('--')) throw new RuntimeError(`unknown option ${arg}; ${USAGE}`);
    else if (module) throw new RuntimeError(`one job module only, got '${module}' and '${arg}'; ${USAGE}`);
    else module = arg;
  }
  if (!module) throw new RuntimeError(`no job module given; ${USAGE}`);
  return { module, store, json };
}

/** The batch job a module exports (default export or the module itself). */
export function loadBatchJob(modulePath: string): BatchJobDefinition<unknown> {
  const absolute = resolve(modulePath);
  let loaded: unknown;
  try {
    loaded = require(absolute);
  } catch (error) {
    throw new JobLoadError(
      `cannot load job module ${absolute}: ${(error as Error).message.split('\n')[0]}`,
      { modulePath },
      {
        cause: error,
      },
    );
  }
  const candidate = (loaded as { default?: unknown })?.default ?? loaded;
  const job = candidate as BatchJobDefinition<unknown>;
  if (typeof job?.build !== 'function' || typeof job.name !== 'string' || 'batchInterval' in job) {
    throw new JobLoadError(
      `${absolute} does not export a batch job: export default defineBatchJob({ name, build(ctx) { return ctx.dataset(...).rdd() } })`,
      { modulePath },
    );
  }
  return job;
}

export async function runBatchCli(argv: readonly string[], out: (text: string) => void): Promise<void> {
  const args = parseBatchArgs(argv);
  const job = loadBatchJob(args.module);
  const store: Store = args.store
    ? jobStoreIn(
        storeFrom(args.store, process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL, '--store'),
        job.name,
      )
    : new MemoryStore();
  const rows = await runBatchJob(job, { store });
  out(args.json ? JSON.stringify(rows) : formatTable(rows));
}

if (require.main === module) {
  runBatchCli(process.argv.slice(2), (text) => process.stdout.write(`${text}\n`)).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
