/**
 * `npm start`: runs the word-count demo and prints every batch.
 *   npm start -- --duration 5          stop cleanly after 5 seconds (default: until Ctrl-C)
 *   npm start -- --runtime local-aws   (default) Kinesis, S3 and Lambda emulated on loopback, real SDK path
 *   npm start -- --runtime threads     generator input, tasks on a worker-thread pool
 *   npm start -- --runtime memory      generator input, tasks in this thread
 *   npm start -- --workers 4           task workers (function instances)
 *   npm start -- --rate 20000          events per second put into Kinesis (local-aws; default 2000)
 *   npm start -- --plain-records       one Kinesis record per event instead of KPL-style aggregates
 *   npm start -- --small-batch-records 0   fan every batch out (default 2000, as serverless.yml deploys)
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { BatchInfo } from 'sluice';
import { startEmbedded, untilStopped } from 'sluice/runtime';
import { localAwsShellEnv, startLocalAws } from 'sluice/runtime/local-aws';

/** What `npm start -- --help` prints. */
const USAGE = `Usage: npm start -- [options]   (the word-count demo; Ctrl-C stops)

  --duration <seconds>         stop cleanly after this long (default: until Ctrl-C)
  --runtime <name>             local-aws (default): Kinesis, S3 and Lambda emulated on loopback, real SDK path
                               threads: generator input, tasks on a worker-thread pool
                               memory: generator input, tasks in this thread
  --workers <n>                task workers, i.e. function instances (default 2)
  --rate <n>                   events per second put into Kinesis (local-aws; default 2000)
  --plain-records              one Kinesis record per event instead of KPL-style aggregates
  --small-batch-records <n>    largest batch run in the coordinator without invocations (default 2000; 0 fans every batch out)
  --job <module>               run another job module instead of the word count
  -h, --help                   show this help
`;

function parse() {
  const parsed = (() => {
    try {
      return parseArgs({
        options: {
          help: { type: 'boolean', short: 'h', default: false },
          duration: { type: 'string' },
          runtime: { type: 'string', default: 'local-aws' },
          rate: { type: 'string', default: '2000' },
          workers: { type: 'string', default: '2' },
          job: { type: 'string' },
          'plain-records': { type: 'boolean', default: false },
          'small-batch-records': { type: 'string', default: '2000' },
        },
      });
    } catch (error) {
      // An unknown or malformed flag: say which, then how to use the command (exit 2, no stack trace).
      process.stderr.write(`sluice demo: ${(error as Error).message}\n\n${USAGE}`);
      return process.exit(2);
    }
  })();
  const { values } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const duration = values.duration === undefined ? undefined : Number(values.duration);
  if (duration !== undefined && !(duration > 0))
    fail(`--duration must be a positive number of seconds, got '${values.duration}'`);
  const workers = Number(values.workers);
  if (!Number.isInteger(workers) || workers <= 0)
    fail(`--workers must be a positive whole number, got '${values.workers}'`);
  if (!RUNTIMES.includes(values.runtime as Runtime)) {
    fail(`--runtime must be one of ${RUNTIMES.join(', ')}, got '${values.runtime}'`);
  }
  const runtime = values.runtime as Runtime;
  const rate = Number(values.rate);
  if (!(rate > 0)) fail(`--rate must be a positive number of records per second, got '${values.rate}'`);
  const job =
    values.job ??
    resolve(__dirname, runtime === 'local-aws' ? 'jobs/kinesis-wordcount.ts' : 'jobs/wordcount.ts');
  const smallBatchRecords = Number(values['small-batch-records']);
  if (!Number.isInteger(smallBatchRecords) || smallBatchRecords < 0)
    fail(`--small-batch-records must be a whole number, got '${values['small-batch-records']}'`);
  return { duration, workers, runtime, job, rate, aggregate: !values['plain-records'], smallBatchRecords };
}

const RUNTIMES = ['local-aws', 'threads', 'memory'] as const;
type Runtime = (typeof RUNTIMES)[number];

function fail(message: string): never {
  process.stderr.write(`sluice demo: ${message}\n`);
  process.exit(2);
}

function printBatch(info: BatchInfo): void {
  const time = new Date(info.batchTime).toISOString().slice(11, 23);
  // Dead letters, lag and skipped gaps are shown whenever there are any: nothing is set aside quietly.
  const extra = [
    info.deadLetters > 0 ? ` deadLetters=${info.deadLetters}` : '',
    info.lagMs !== undefined ? ` lag=${info.lagMs}ms` : '',
    info.gaps ? ` skippedGaps=${info.gaps}` : '',
  ].join('');
  process.stdout.write(
    `  batch ${time} records=${info.records} schedulingDelay=${info.schedulingDelayMs}ms processing=${info.processingMs}ms tasks=${info.tasks}${extra}\n`,
  );
}

/** Something that runs until stopped. */
interface Running {
  stop(): Promise<void>;
  done: Promise<void>;
}

async function start(options: ReturnType<typeof parse>): Promise<Running> {
  if (options.runtime !== 'local-aws') {
    return startEmbedded({
      jobModule: options.job,
      runtime: options.runtime,
      workers: options.workers,
      onBatch: printBatch,
    });
  }
  const aws = await startLocalAws({
    jobModule: options.job,
    workers: options.workers,
    producer: {
      ratePerSecond: options.rate,
      generator: { module: resolve(__dirname, 'jobs/wordcount.ts'), name: 'sentence' },
      aggregate: options.aggregate,
    },
    smallBatchRecords: options.smallBatchRecords,
    onBatch: printBatch,
  });
  process.stdout.write(
    `sluice demo: kinesalite ${aws.env.AWS_ENDPOINT_URL_KINESIS}, s3rver ${aws.env.AWS_ENDPOINT_URL_S3}, Lambda ${aws.env.AWS_ENDPOINT_URL_LAMBDA}; producing ${options.rate} records/s into ${aws.streams[0]} (${options.aggregate ? 'KPL aggregates' : 'one Kinesis record each'}, from a thread of its own)\n`,
  );
  const env = localAwsShellEnv(aws.env);
  process.stdout.write(
    `sluice demo: from another terminal while it runs:\n  ${env} npx sluice status wordcount --store ${aws.env.SLUICE_STORE}\n  ${env} npx sluice query ${options.job} totals --store ${aws.env.SLUICE_STORE} --run <query module>\n`,
  );
  return { stop: () => aws.stop(), done: aws.coordinator!.done.finally(() => aws.stop()) };
}

async function main() {
  const options = parse();
  process.stdout.write(
    `sluice demo: ${options.job} on the ${options.runtime} runtime with ${options.workers} workers; Ctrl-C stops\n`,
  );
  const running = await start(options);
  await untilStopped(running, options.duration === undefined ? undefined : options.duration * 1000);
  process.stdout.write('sluice demo: stopped\n');
}

main().catch((error) => {
  process.stderr.write(
    `sluice demo failed: ${error instanceof Error ? (error.stack ?? error.message) : error}\n`,
  );
  process.exitCode = 1;
});
