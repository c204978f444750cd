import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { StreamingContext } from '../../api/streaming-context';
import type { Store } from '../../io/ports';
import { storeFrom } from '../../io/store-location';
import { startEmbedded } from '../../runtime/embedded';
import { localAwsShellEnv, startLocalAws } from '../../runtime/local-aws';
import { untilStopped } from '../../runtime/until-stopped';
import type { BatchInfo } from '../../schedule';
import { UsageError } from '../errors';
import { clockTime } from '../format';
import { type DashboardFlags, dashboardForRun, dashboardOptions, listenOptions } from './ui';

const RUNTIMES = ['memory', 'threads', 'local-aws'];

interface RunFlags extends DashboardFlags {
  ui?: boolean;
  runtime: string;
  duration?: string;
  workers: string;
  store?: string;
  json?: boolean;
  produce?: string;
  rate: string;
}

export function runCommand(program: Command, print: (text: string) => void): void {
  const command = program
    .command('run')
    .description('run a job module on this machine until Ctrl-C or --duration; prints a line per batch')
    .argument('<job>', 'path of the job module (export default defineJob(...))')
    .option(
      '--runtime <name>',
      'memory (tasks in this thread), threads (a worker pool), or local-aws (Kinesis, S3 and Lambda emulated on loopback)',
      'threads',
    )
    .option('--duration <seconds>', 'stop cleanly after this long')
    .option('--workers <n>', 'task workers (function instances)', '2')
    .option(
      '--store <location>',
      'root store (directory or s3://); a later run with the same store resumes the job (default: $SLUICE_STORE, else memory)',
    )
    .option(
      '--produce <module#export>',
      "local-aws: put records made by this generator function (i) => string into the job's Kinesis stream",
    )
    .option('--rate <n>', 'local-aws: records per second for --produce', '1000')
    .option('--json', 'print each batch as one JSON line')
    .option('--ui', 'serve the live dashboard of the job while it runs (see --port, --host)');
  dashboardOptions(command).action(async (job: string, flags: RunFlags) => {
    const options = checked(job, flags);
    if (flags.ui) listenOptions(flags);
    const printBatch = (info: BatchInfo) => print(flags.json ? JSON.stringify(info) : batchLine(info));
    const running = await start(options, printBatch, print);
    const dashboard = flags.ui ? await withDashboard(running, flags, print) : undefined;
    try {
      await untilStopped(running, options.durationMs);
    } finally {
      await dashboard?.close();
    }
  });
}

/** The job runs already; if its dashboard cannot start, the job is stopped before the error is reported. */
async function withDashboard(running: Running, flags: RunFlags, print: (text: string) => void) {
  try {
    return await dashboardForRun(running.watched, flags, print);
  } catch (error) {
    await running.stop();
    throw error;
  }
}

function checked(job: string, flags: RunFlags) {
  if (!RUNTIMES.includes(flags.runtime)) {
    throw new UsageError(`--runtime must be one of ${RUNTIMES.join(', ')}, got '${flags.runtime}'`);
  }
  const workers = Number(flags.workers);
  if (!Number.isInteger(workers) || workers <= 0) {
    throw new UsageError(`--workers must be a positive whole number, got '${flags.workers}'`);
  }
  const seconds = flags.duration === undefined ? undefined : Number(flags.duration);
  if (seconds !== undefined && !(seconds > 0)) {
    throw new UsageError(`--duration must be a positive number of seconds, got '${flags.duration}'`);
  }
  const rate = Number(flags.rate);
  if (!(rate > 0)) throw new UsageError(`--rate must be a positive number, got '${flags.rate}'`);
  const [module, name] = (flags.produce ?? '').split('#');
  if (flags.produce !== undefined && (!module || !name)) {
    throw new UsageError(
      `--produce must be <module>#<export>, e.g. ./jobs/events.ts#event, got '${flags.produce}'`,
    );
  }
  const location = flags.store ?? process.env.SLUICE_STORE;
  return {
    jobModule: resolve(job),
    runtime: flags.runtime,
    workers,
    durationMs: seconds === undefined ? undefined : seconds * 1000,
    store: location ? storeFrom(location, process.env.AWS_ENDPOINT_URL_S3, '--store') : undefined,
    producer: flags.produce ? { module: resolve(module), name, rate } : undefined,
  };
}

interface Running {
  stop(): Promise<void>;
  done: Promise<void>;
  /** The coordinator in this process, for the dashboard. */
  watched: { context: StreamingContext; store: Store };
}

async function start(
  options: ReturnType<typeof checked>,
  onBatch: (info: BatchInfo) => void,
  print: (text: string) => void,
): Promise<Running> {
  if (options.runtime !== 'local-aws') {
    const job = startEmbedded({
      jobModule: options.jobModule,
      runtime: options.runtime as 'memory' | 'threads',
      workers: options.workers,
      store: options.store,
      onBatch,
    });
    return { stop: () => job.stop(), done: job.done, watched: job };
  }
  const aws = await startLocalAws({
    jobModule: options.jobModule,
    workers: options.workers,
    onBatch,
    ...(options.producer
      ? {
          producer: {
            ratePerSecond: options.producer.rate,
            generator: { module: options.producer.module, name: options.producer.name },
          },
        }
      : {}),
  });
  print(
    `local AWS: Kinesis ${aws.env.AWS_ENDPOINT_URL_KINESIS}, S3 ${aws.env.AWS_ENDPOINT_URL_S3} (store ${aws.env.SLUICE_STORE}), Lambda ${aws.env.AWS_ENDPOINT_URL_LAMBDA}\n` +
      `  status from another terminal: ${localAwsShellEnv(aws.env)} npx sluice status <job> --store ${aws.env.SLUICE_STORE}`,
  );
  const coordinator = aws.coordinator!;
  return { stop: () => aws.stop(), done: coordinator.done.finally(() => aws.stop()), watched: coordinator };
}

function batchLine(info: BatchInfo): string {
  const rate = info.processingMs > 0 ? Math.round((info.records * 1000) / info.processingMs) : undefined;
  const extra = [
    info.deadLetters > 0 ? ` deadLetters=${info.deadLetters}` : '',
    info.lagMs !== undefined ? ` lag=${info.lagMs}ms` : '',
    info.gaps ? ` skippedGaps=${info.gaps}` : '',
  ].join('');
  return `batch ${clockTime(info.batchTime)} records=${info.records}${rate === undefined ? '' : ` (${rate}/s)`} delay=${info.schedulingDelayMs}ms processing=${info.processingMs}ms tasks=${info.tasks}${extra}`;
}
