import type { Command } from 'commander';
import { UsageError } from '../errors';
import { clockTime, millis, table } from '../format';
import { type JobStatus, readJobStatus } from '../job-status';
import { jobStoreAt, type StoreFlags, storeOption } from '../store-flags';

export function statusCommand(program: Command, print: (text: string) => void): void {
  storeOption(
    program
      .command('status')
      .description(
        "a job's lease holder and last batches (delays, lag, retries, recoveries, dead letters), read from its store",
      )
      .argument('<job>', 'the job name (defineJob name)')
      .option('--last <n>', 'how many of the newest batches to show', '20')
      .option('--json', 'print JSON for programs'),
  ).action(async (job: string, flags: StoreFlags & { last: string; json?: boolean }) => {
    const last = Number(flags.last);
    const status = await readJobStatus(jobStoreAt(flags, job), job, { last: positiveWhole(last, '--last') });
    print(flags.json ? JSON.stringify(status, null, 2) : describe(status));
  });
}

function positiveWhole(value: number, flag: string): number {
  if (!Number.isInteger(value) || value <= 0) {
    throw new UsageError(`${flag} must be a positive whole number, got '${value}'`);
  }
  return value;
}

function describe(status: JobStatus): string {
  const lease = status.lease;
  const holder = !lease
    ? 'no coordinator has run'
    : lease.held
      ? `held by ${lease.owner} (epoch ${lease.epoch}) until ${clockTime(lease.expiresAt)}`
      : `free (${lease.released ? 'released' : 'expired'} by ${lease.owner}, epoch ${lease.epoch})`;
  const header = [
    `job ${status.job}: batches every ${millis(status.batchMs)}, started ${clockTime(status.zeroTime)}`,
    `lease: ${holder}`,
    `last ${status.batches.length} batches: ${status.committed} committed, ${status.failed} failed`,
  ];
  const rows = status.batches.map((b) => [
    clockTime(b.batchTime),
    b.status,
    b.records,
    millis(b.schedulingDelayMs),
    millis(b.processingMs),
    millis(b.totalDelayMs),
    millis(b.lagMs),
    b.tasks,
    b.retries,
    b.speculated,
    b.recoveredPartitions,
    b.deadLetters,
    b.requests,
  ]);
  const failures = status.batches
    .filter((b) => b.error)
    .map((b) => `  ${clockTime(b.batchTime)}: ${b.error}`);
  return [
    ...header,
    '',
    table(
      [
        'batch',
        'status',
        'records',
        'sched',
        'processing',
        'total',
        'lag',
        'tasks',
        'retries',
        'spec',
        'recovered',
        'dead',
        'requests',
      ],
      rows,
    ),
    ...(failures.length > 0 ? ['', 'failures:', ...failures] : []),
  ].join('\n');
}
