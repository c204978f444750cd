import type { Command } from 'commander';
import { kinesisClient } from '../../io/aws-clients';
import { putAll } from '../../io/kinesis-admin';
import { formatDeadLetter, listDeadLetters, redriveDeadLetters } from '../../runtime/dead-letters';
import { UsageError } from '../errors';
import { jobStoreAt, type StoreFlags, storeOption } from '../store-flags';

interface RangeFlags extends StoreFlags {
  from?: string;
  to?: string;
  json?: boolean;
}

export function deadLettersCommand(program: Command, print: (text: string) => void): void {
  const group = program
    .command('deadletters')
    .description(
      'records a source could not decode and records user code failed on: list them, or put them back',
    );
  withRange(group.command('list').description("list a job's dead letters with their positions and errors"))
    .option('--json', 'print JSON for programs')
    .action(async (job: string, flags: RangeFlags) => {
      const letters = await listDeadLetters(jobStoreAt(flags, job), range(flags));
      if (flags.json) {
        print(JSON.stringify(letters, null, 2));
        return;
      }
      for (const letter of letters) print(formatDeadLetter(letter));
      const poison = letters.filter((l) => l.kind === 'poison').length;
      print(`${letters.length} dead letter(s): ${letters.length - poison} undecodable, ${poison} poison`);
    });
  withRange(
    group.command('redrive').description("put dead letters' original bytes back into a Kinesis stream"),
  )
    .requiredOption('--stream <name>', 'the Kinesis stream to put them into')
    .option('--kind <kind>', 'only source (undecodable) or poison records')
    .action(async (job: string, flags: RangeFlags & { stream: string; kind?: string }) => {
      if (flags.kind !== undefined && flags.kind !== 'source' && flags.kind !== 'poison') {
        throw new UsageError(`--kind must be source or poison, got '${flags.kind}'`);
      }
      const client = kinesisClient({
        endpoint: process.env.AWS_ENDPOINT_URL_KINESIS ?? process.env.AWS_ENDPOINT_URL,
      });
      const { records, calls } = await redriveDeadLetters(jobStoreAt(flags, job), {
        ...range(flags),
        kind: flags.kind as 'source' | 'poison' | undefined,
        putRecords: (batch) =>
          putAll(
            client,
            flags.stream,
            batch.map((r) => ({ Data: r.data, PartitionKey: r.partitionKey })),
          ),
      });
      print(`put ${records} record(s) into ${flags.stream} in ${calls} call(s)`);
    });
}

function withRange(command: Command): Command {
  return storeOption(
    command
      .argument('<job>', 'the job name')
      .option('--from <ms>', 'first batch time (ms since the epoch)')
      .option('--to <ms>', 'last batch time (ms since the epoch)'),
  );
}

function range(flags: RangeFlags): { from?: number; to?: number } {
  const time = (flag: 'from' | 'to') => {
    const raw = flags[flag];
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0) {
      throw new UsageError(`--${flag} must be a batch time in ms, got '${raw}'`);
    }
    return value;
  };
  return { from: time('from'), to: time('to') };
}
