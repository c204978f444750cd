/**
 * `npm run batch -- <job module> [--store <location>] [--json] [--runtime memory|threads] [--workers <n>]`:
 * runs a batch job to completion and prints its result as a table (or JSON). Tasks run in this thread
 * (`memory`, the default) or on a worker-thread pool that loads the job module as Lambda tasks do
 * (`threads`). Bad input is one clear line and a non-zero exit.
 */
import { resolve } from 'node:path';
import { type BatchJobDefinition, isBatchJob, runBatchJob } from '../api/batch-job';
import { jobStoreIn } from '../catalog/layout';
import type { TaskResult, TaskSpec } from '../exec';
import { MemoryStore } from '../io/memory-store';
import type { Store } from '../io/ports';
import { storeFrom } from '../io/store-location';
import { WorkerPoolInvoker } from '../io/worker-pool';
import { formatTable } from './batch-table';
import { JobLoadError, RuntimeError } from './errors';

const USAGE =
  'usage: npm run batch -- <job module> [--store <location>] [--json] [--runtime memory|threads] [--workers <n>]';

interface BatchArgs {
  module: string;
  store?: string;
  json: boolean;
  runtime: 'memory' | 'threads';
  workers: number;
}

export function parseBatchArgs(argv: readonly string[]): BatchArgs {
  let module: string | undefined;
  let store: string | undefined;
  let json = false;
  let runtime: BatchArgs['runtime'] = 'memory';
  let workers = 2;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json') json = true;
    else if (arg === '--runtime') {
      const value = argv[++i];
      if (value !== 'memory' && value !== 'threads') {
        throw new RuntimeError(`--runtime must be 'memory' or 'threads', got '${value ?? ''}'; ${USAGE}`);
      }
      runtime = value;
    } else if (arg === '--workers') {
      workers = Number(argv[++i]);
      if (!Number.isInteger(workers) || workers < 1) {
        throw new RuntimeError(
          `--workers needs a whole number of at least 1, got '${argv[i] ?? ''}'; ${USAGE}`,
        );
      }
    } else if (arg === '--store') {
      store = argv[++i];
      if (!store)
        throw new RuntimeError(`--store needs a location (s3://bucket/prefix/ or a directory); ${USAGE}`);
    } else if (arg.startsWith('--')) throw new RuntimeError(`unknown option ${arg}; ${USAGE}`);
    else if (module) throw new RuntimeError(`one job module only, got '${module}' and '${arg}'; ${USAGE}`);
    else module = arg;
  }
  if (!module) throw new RuntimeError(`no job module given; ${USAGE}`);
  return { module, store, json, runtime, workers };
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
  const job = (loaded as { default?: unknown })?.default ?? loaded;
  if (!isBatchJob(job)) {
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
  const invoker =
    args.runtime === 'threads'
      ? new WorkerPoolInvoker<TaskSpec, TaskResult>({
          script: resolve(__dirname, __filename.endsWith('.ts') ? 'worker-main.ts' : 'worker-main.js'),
          workers: args.workers,
          store,
          workerData: { jobs: { [job.name]: resolve(args.module) } },
        })
      : undefined;
  try {
    const rows = await runBatchJob(job, { store, workers: args.workers, invoker });
    out(args.json ? JSON.stringify(rows) : formatTable(rows));
  } finally {
    await invoker?.close();
  }
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
