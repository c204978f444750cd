import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { RDD } from '../../plan';
import { snapshot } from '../../query';
import { loadJobModule } from '../../runtime/job-loader';
import { CliError, UsageError } from '../errors';
import { formatJson, formatTable } from '../rows-table';

interface QueryFlags {
  run: string;
  at?: string;
  store?: string;
  json?: boolean;
  workers: string;
}

type Query = (rdd: RDD<unknown>) => unknown;

export function queryCommand(program: Command, print: (text: string) => void): void {
  program
    .command('query')
    .description(
      "run a query over a named stream's committed batch while the job runs; reads only committed data and writes nothing to the job's store",
    )
    .argument('<job>', 'path of the job module')
    .argument('<stream>', "a stream the job names with .named('<stream>')")
    .requiredOption(
      '--run <module>',
      'the query module: its default export takes the RDD and returns an RDD (rows printed) or a promise of any value',
    )
    .option(
      '--at <time>',
      'a committed, still retained batch: ms since the epoch or an ISO time such as 2026-12-01T15:00:05Z (default: the newest)',
    )
    .option(
      '--store <location>',
      'the root store the job runs on: s3://bucket/prefix/ or a directory (default: $SLUICE_STORE)',
    )
    .option('--workers <n>', 'tasks that run at once in this process', '2')
    .option('--json', 'print the rows as JSON')
    .action(async (job: string, stream: string, flags: QueryFlags) => {
      const store = flags.store ?? process.env.SLUICE_STORE;
      if (!store)
        throw new UsageError(
          'no store: pass --store <s3://bucket/prefix/ | ./dir> (the store the job runs on) or set SLUICE_STORE',
        );
      const workers = Number(flags.workers);
      if (!Number.isInteger(workers) || workers <= 0) {
        throw new UsageError(`--workers must be a positive whole number, got '${flags.workers}'`);
      }
      const at = flags.at === undefined ? undefined : timeOf(flags.at);
      const definition = loadJobModule(job);
      const query = loadQueryModule(flags.run);
      const rdd = await snapshot(definition, stream, { store, at, workers });
      const rows = await rowsOf(query(rdd));
      // Which batch was queried goes to stderr, so stdout stays the rows alone (for pipes and --json).
      process.stderr.write(
        `stream '${stream}' of job '${definition.name}' at batch ${rdd.time} (${new Date(rdd.time).toISOString()})\n`,
      );
      print(flags.json ? formatJson(rows) : `${formatTable(rows)}\n(${rows.length} rows)`);
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

function loadQueryModule(path: string): Query {
  const absolute = resolve(path);
  let loaded: unknown;
  try {
    loaded = require(absolute);
  } catch (error) {
    // The first line says what went wrong; the require stack after it would only name this file.
    throw new CliError(`cannot load query module ${absolute}: ${(error as Error).message.split('\n')[0]}`, {
      cause: error,
    });
  }
  const query = (loaded as { default?: unknown })?.default ?? loaded;
  if (typeof query !== 'function') {
    throw new CliError(`${absolute} does not export a query`, {
      hint: 'export default (rdd) => rdd.filter(...) (returning an RDD or a promise)',
    });
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
