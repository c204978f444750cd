import type { Command } from 'commander';
import type { StreamingContext } from '../../api/streaming-context';
import type { Store } from '../../io/ports';
import {
  type Dashboard,
  DashboardListenError,
  dashboardForRunningJob,
  dashboardFromStore,
  NoBatchesError,
  StoreUnreadableError,
  UiError,
} from '../../ui';
import { CliError, NothingToShowError, UsageError } from '../errors';
import { jobStoreAt, type StoreFlags, storeOption } from '../store-flags';

export interface DashboardFlags {
  port: string;
  host: string;
}

/** `--port` and `--host`, shared by `sluice ui` and `sluice run --ui`. */
export function dashboardOptions(command: Command): Command {
  return command
    .option('--port <n>', 'dashboard port (0: any free port)', '4040')
    .option(
      '--host <address>',
      'address the dashboard listens on (only this machine by default)',
      '127.0.0.1',
    );
}

export function uiCommand(program: Command, print: (text: string) => void): void {
  dashboardOptions(
    storeOption(
      program
        .command('ui')
        .description(
          'a live web dashboard of a job (input rate, delays, shard lag, batches and their stages), read from its store',
        )
        .argument('<job>', 'the job name (defineJob name)'),
    ),
  ).action(async (job: string, flags: StoreFlags & DashboardFlags) => {
    const listen = listenOptions(flags);
    const dashboard = await explained(() =>
      dashboardFromStore(jobStoreAt(flags, job), job, {
        ...listen,
        onPollError: (error) =>
          print(`sluice ui: reading the store failed (will retry): ${messageOf(error)}`),
      }),
    );
    print(
      `dashboard of job ${job}: ${dashboard.url} (reads the store once a batch interval; Ctrl-C to stop)`,
    );
    await untilInterrupted();
    await dashboard.close();
  });
}

/** The dashboard of a job running in this process (`sluice run --ui`). */
export async function dashboardForRun(
  running: { context: StreamingContext; store: Store },
  flags: DashboardFlags,
  print: (text: string) => void,
): Promise<Dashboard> {
  const dashboard = await explained(() => dashboardForRunningJob(running, listenOptions(flags)));
  print(`dashboard: ${dashboard.url}`);
  return dashboard;
}

/** Checks `--port` and `--host` (before a job starts, so a bad flag does not start it). */
export function listenOptions(flags: DashboardFlags): { host: string; port: number } {
  const port = Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`--port must be a whole number from 0 to 65535, got '${flags.port}'`);
  }
  return { host: flags.host, port };
}

async function explained(open: () => Promise<Dashboard>): Promise<Dashboard> {
  try {
    return await open();
  } catch (error) {
    if (error instanceof NoBatchesError) {
      throw new NothingToShowError(error.message, {
        cause: error,
        hint: 'check the job name and --store (it must be the store the job runs with), or wait for its first batch',
      });
    }
    if (error instanceof DashboardListenError) {
      throw new CliError(error.message, {
        cause: error,
        hint: 'pass another --port, or --port 0 for any free one',
      });
    }
    if (error instanceof StoreUnreadableError) {
      throw new CliError(error.message, {
        cause: error,
        hint: 'check --store and that the store is reachable from here',
      });
    }
    if (error instanceof UiError) throw new CliError(error.message, { cause: error });
    throw error;
  }
}

function untilInterrupted(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
