/**
 * `npm run example:<name>`: runs one of the example applications until `--duration` ends or Ctrl-C.
 *   --duration 20            stop cleanly after 20 seconds (default: until Ctrl-C)
 *   --runtime memory         (default) generator input, tasks in this thread
 *   --runtime threads        generator input, tasks on a worker-thread pool
 *   --runtime local-aws      the same events put into Kinesis (kinesalite), S3 (s3rver) and Lambda emulated on loopback
 *   --workers 2              task workers (function instances)
 *   --rate <n>               events per second (default: the example's own; jobs read SLUICE_EXAMPLE_RATE)
 * Each example lives in `examples/<name>/` and exports an `app` (see ExampleApp) from `app.ts`.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { BatchInfo } from 'sluice';
import { startEmbedded, untilStopped } from 'sluice/runtime';
import { startLocalAws } from 'sluice/runtime/local-aws';

/** What an example application gives the runner. */
export interface ExampleApp {
  /** One line: what the application shows. */
  title: string;
  /** Job module fed by a generator stream (memory and threads runtimes). */
  job: string;
  /** Job module reading the same events from Kinesis (local-aws runtime). */
  kinesisJob: string;
  /** The producer of the Kinesis events: `module`'s export `name` maps an index to a record. */
  generator: { module: string; name: string };
  /** Events per second unless `--rate` says otherwise. */
  ratePerSecond: number;
  /** Runs before the job starts (e.g. writes the static datasets it joins with). */
  prepare?(): Promise<void>;
}

const RUNTIMES = ['memory', 'threads', 'local-aws'] as const;
type Runtime = (typeof RUNTIMES)[number];

function fail(message: string): never {
  process.stderr.write(`sluice example: ${message}\n`);
  process.exit(2);
}

/** What `--help` prints. */
const USAGE = `Usage: npm run example:<name> -- [options]   (examples: the folders of examples/ with an app.ts)

  --duration <seconds>   stop cleanly after this long (default: until Ctrl-C)
  --runtime <name>       memory (default): generator input, tasks in this thread
                         threads: generator input, tasks on a worker-thread pool
                         local-aws: the same events through Kinesis, S3 and Lambda emulated on loopback
  --workers <n>          task workers, i.e. function instances (default 2)
  --rate <n>             events per second (default: the example's own)
  -h, --help             show this help
`;

function parse() {
  const parsed = (() => {
    try {
      return parseArgs({
        allowPositionals: true,
        options: {
          help: { type: 'boolean', short: 'h', default: false },
          duration: { type: 'string' },
          runtime: { type: 'string', default: 'memory' },
          workers: { type: 'string', default: '2' },
          rate: { type: 'string' },
        },
      });
    } catch (error) {
      // An unknown or malformed flag: say which, then how to use the command (exit 2, no stack trace).
      process.stderr.write(`sluice example: ${(error as Error).message}\n\n${USAGE}`);
      return process.exit(2);
    }
  })();
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const name = positionals[0];
  if (!name) fail(`name the example, e.g. npm run example:video\n\n${USAGE}`);
  const appModule = resolve(__dirname, name, 'app.ts');
  if (!/^[a-z][a-z0-9-]*$/.test(name) || !existsSync(appModule)) {
    fail(`no example '${name}': examples are the folders of examples/ that hold an app.ts`);
  }
  const duration = values.duration === undefined ? undefined : Number(values.duration);
  if (duration !== undefined && !(duration > 0)) {
    fail(`--duration must be a positive number of seconds, got '${values.duration}'`);
  }
  if (!RUNTIMES.includes(values.runtime as Runtime)) {
    fail(`--runtime must be one of ${RUNTIMES.join(', ')}, got '${values.runtime}'`);
  }
  const workers = Number(values.workers);
  if (!Number.isInteger(workers) || workers <= 0) {
    fail(`--workers must be a positive whole number, got '${values.workers}'`);
  }
  const rate = values.rate === undefined ? undefined : Number(values.rate);
  if (rate !== undefined && !(rate > 0)) {
    fail(`--rate must be a positive number of events per second, got '${values.rate}'`);
  }
  return { name, appModule, duration, runtime: values.runtime as Runtime, workers, rate };
}

function printBatch(info: BatchInfo): void {
  const time = new Date(info.batchTime).toISOString().slice(11, 23);
  const dead = info.deadLetters > 0 ? ` deadLetters=${info.deadLetters}` : '';
  process.stdout.write(
    `  batch ${time} records=${info.records} processing=${info.processingMs}ms delay=${info.schedulingDelayMs}ms${dead}\n`,
  );
}

async function start(options: ReturnType<typeof parse>, app: ExampleApp) {
  if (options.runtime !== 'local-aws') {
    const job = startEmbedded({
      jobModule: app.job,
      runtime: options.runtime,
      workers: options.workers,
      onBatch: printBatch,
    });
    return { stop: () => job.stop(), done: job.done };
  }
  const aws = await startLocalAws({
    jobModule: app.kinesisJob,
    workers: options.workers,
    producer: { ratePerSecond: options.rate ?? app.ratePerSecond, generator: app.generator },
    onBatch: printBatch,
  });
  return { stop: () => aws.stop(), done: aws.coordinator!.done.finally(() => aws.stop()) };
}

async function main() {
  const options = parse();
  // Generator-fed jobs read their rate when they build (in every task process too).
  if (options.rate !== undefined) process.env.SLUICE_EXAMPLE_RATE = String(options.rate);
  const { app } = (await import(options.appModule)) as { app: ExampleApp };
  process.stdout.write(`sluice example ${options.name}: ${app.title} (${options.runtime} runtime)\n`);
  await app.prepare?.();
  const running = await start(options, app);
  await untilStopped(running, options.duration === undefined ? undefined : options.duration * 1000);
  process.stdout.write(`sluice example ${options.name}: stopped\n`);
}

main().catch((error) => {
  process.stderr.write(`sluice example failed: ${error instanceof Error ? error.message : error}\n`);
  process.exitCode = 1;
});
