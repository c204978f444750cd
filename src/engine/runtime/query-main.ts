/**
 * `npm run query -- <job module> <stream> --run <query module> [--at <time>] [--store <location>] [--json]`:
 * an ad-hoc query over a named stream's committed batch, from outside the running job.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { RDD } from '../plan';
import { snapshot } from '../query';
import { formatJson, formatTable } from '../query/format';
import { loadJobModule } from './job-loader';

const USAGE = `usage: npm run query -- <job module> <stream> --run <query module> [options]

Runs a query over <stream>, a stream the job names with .named('<stream>'), at a committed batch of
the job, while the job keeps running. The query reads only committed data and writes nothing to the
job's store. The query module's default export takes the stream's dataset (an RDD) and returns an
RDD, whose rows are printed, or a promise of any value (an array is printed one row per element):
  export default (rdd) => rdd.filter(([, total]) => total > 10)
  export default async (rdd) => ({ keys: (await rdd.collect()).length })

options:
  --run <module>      the query module (required)
  --at <time>         a committed batch time that is still retained: ms since the epoch, or an
                      ISO 8601 time such as 2026-12-01T15:00:05Z (default: the newest committed batch)
  --store <location>  the store the job runs on, as SLUICE_STORE takes it: s3://bucket/prefix/, or a
                      directory (absolute, or './'-relative); default: $SLUICE_STORE. S3 endpoints come
                      from AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL (a local AWS, LocalStack)
  --json              print the rows as a JSON array instead of a table
  --workers <n>       tasks that run at once in this process (default 2)
  -h, --help          print this text

The batch queried is reported on stderr; rows go to stdout. Errors: one line on stderr, exit code 1
(2 for a usage error).`;

class UsageError extends Error {}

interface QueryArgs {
  job: string;
  stream: string;
  run: string;
  at?: number;
  store: string;
  json: boolean;
  workers: number;
}

function parse(argv: string[]): QueryArgs | 'help' {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(argv);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  const [job, stream, ...extra] = positionals;
  if (!job || !stream) throw new UsageError('needs a job module and a stream name');
  if (extra.length > 0) throw new UsageError(`unexpected argument(s): ${extra.join(' ')}`);
  if (!values.run) throw new UsageError('needs --run <query module>: the query to run over the stream');
  const store = values.store ?? process.env.SLUICE_STORE;
  if (!store) {
    throw new UsageError(
      'no store: pass --store <s3://bucket/prefix/ | directory> (the store the job runs on) or set SLUICE_STORE',
    );
  }
  const workers = Number(values.workers ?? '2');
  if (!Number.isInteger(workers) || workers <= 0) {
    throw new UsageError(`--workers must be a positive whole number, got '${values.workers}'`);
  }
  return {
    job,
    stream,
    run: values.run,
    at: values.at === undefined ? undefined : timeOf(values.at),
    store,
    json: values.json ?? false,
    workers,
  };
}

function parseOptions(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      run: { type: 'string' },
      at: { type: 'string' },
      store: { type: 'string' },
      json: { type: 'boolean' },
      workers: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function timeOf(text: string): number {
  if (/^\d+$/.test(text)) return Number(text);
  const parsed = /^\d{4}-\d{2}-\d{2}T/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(parsed)) {
    throw new UsageError(
      `--at must be a batch time: ms since the epoch or an ISO 8601 time (2026-12-01T15:00:05Z), not '${text}'`,
    );
  }
  return parsed;
}

type Query = (rdd: RDD<unknown>) => unknown;

function loadQueryModule(path: string): Query {
  const absolute = resolve(path);
  let loaded: unknown;
  try {
    loaded = require(absolute);
  } catch (error) {
    // The first line says what went wrong; the require stack after it would only name this file.
    const reason = (error as Error).message.split('\n')[0];
    throw new Error(`cannot load query module ${absolute}: ${reason}`, { cause: error });
  }
  const query = (loaded as { default?: unknown })?.default ?? loaded;
  if (typeof query !== 'function') {
    throw new Error(
      `${absolute} does not export a query: export default (rdd) => rdd.filter(...) (an RDD or a promise)`,
    );
  }
  return query as Query;
}

/** An RDD's rows, an array's elements, or a single value as one row. */
async function rowsOf(result: unknown): Promise<unknown[]> {
  const value = await result;
  if (isRdd(value)) return value.collect();
  if (Array.isArray(value)) return value;
  return value === undefined ? [] : [value];
}

function isRdd(value: unknown): value is RDD<unknown> {
  const candidate = value as { collect?: unknown; node?: unknown } | undefined;
  return typeof candidate?.collect === 'function' && typeof candidate.node === 'object';
}

async function main(argv: string[]): Promise<number> {
  let args: QueryArgs | 'help';
  try {
    args = parse(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`query: ${error.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (args === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const definition = loadJobModule(args.job);
  const query = loadQueryModule(args.run);
  const rdd = await snapshot(definition, args.stream, {
    store: args.store,
    at: args.at,
    workers: args.workers,
  });
  const rows = await rowsOf(query(rdd));
  const when = new Date(rdd.time).toISOString();
  process.stderr.write(
    `stream '${args.stream}' of job '${definition.name}' at batch ${rdd.time} (${when})\n`,
  );
  process.stdout.write(args.json ? `${formatJson(rows)}\n` : `${formatTable(rows)}\n(${rows.length} rows)\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`query: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
    process.exitCode = 1;
  },
);
