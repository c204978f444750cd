/**
 * `npm run deadletters -- list <job> [--store <dir|s3://bucket/prefix>] [--from <ms>] [--to <ms>]`
 * `npm run deadletters -- redrive <job> --stream <kinesis stream> [--store ...] [--from] [--to] [--kind source|poison]`
 *
 * Lists a job's dead letters (records a source could not decode, records user code failed on) or puts
 * their original bytes back into a Kinesis stream. The store defaults to $SLUICE_STORE; S3 and Kinesis
 * endpoints come from AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL_KINESIS / AWS_ENDPOINT_URL.
 */
import { kinesisClient } from '../src/engine/io/aws-clients';
import { putAll } from '../src/engine/io/kinesis-admin';
import { jobStore, storeFrom } from '../src/engine/runtime/config';
import { formatDeadLetter, listDeadLetters, redriveDeadLetters } from '../src/engine/runtime/dead-letters';

const USAGE = `usage:
  npm run deadletters -- list <job> [--store <dir|s3://bucket/prefix>] [--from <ms>] [--to <ms>]
  npm run deadletters -- redrive <job> --stream <name> [--store ...] [--from <ms>] [--to <ms>] [--kind source|poison]
The store defaults to $SLUICE_STORE. Times are batch times in ms since the epoch.`;

class UsageError extends Error {}

function parse(argv: string[]) {
  const positional: string[] = [];
  const flags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return { help: true as const };
    if (arg.startsWith('--')) {
      const name = arg.slice(2);
      if (!['store', 'from', 'to', 'stream', 'kind'].includes(name))
        throw new UsageError(`unknown option ${arg}`);
      const value = argv[++i];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`${arg} needs a value`);
      flags[name] = value;
    } else positional.push(arg);
  }
  const [command, job, ...extra] = positional;
  if (command !== 'list' && command !== 'redrive') {
    throw new UsageError(command ? `unknown command '${command}'` : 'missing command (list or redrive)');
  }
  if (!job) throw new UsageError(`${command} needs a job name`);
  if (extra.length > 0) throw new UsageError(`unexpected argument(s): ${extra.join(' ')}`);
  const time = (name: string) => {
    if (flags[name] === undefined) return undefined;
    const value = Number(flags[name]);
    if (!Number.isInteger(value) || value < 0)
      throw new UsageError(`--${name} must be a batch time in ms, not '${flags[name]}'`);
    return value;
  };
  const store = flags.store ?? process.env.SLUICE_STORE;
  if (!store) throw new UsageError('no store: pass --store <dir|s3://bucket/prefix> or set SLUICE_STORE');
  if (command === 'redrive' && !flags.stream)
    throw new UsageError('redrive needs --stream <kinesis stream name>');
  if (flags.kind !== undefined && flags.kind !== 'source' && flags.kind !== 'poison') {
    throw new UsageError(`--kind must be source or poison, not '${flags.kind}'`);
  }
  return {
    help: false as const,
    command,
    job,
    store,
    from: time('from'),
    to: time('to'),
    stream: flags.stream,
    kind: flags.kind as 'source' | 'poison' | undefined,
  };
}

async function main(argv: string[]): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const store = jobStore(
    storeFrom(args.store, process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL),
    args.job,
  );
  if (args.command === 'list') {
    const letters = await listDeadLetters(store, { from: args.from, to: args.to });
    for (const letter of letters) process.stdout.write(`${formatDeadLetter(letter)}\n`);
    const poison = letters.filter((l) => l.kind === 'poison').length;
    process.stdout.write(
      `${letters.length} dead letter(s): ${letters.length - poison} undecodable, ${poison} poison\n`,
    );
    return 0;
  }
  const client = kinesisClient({
    endpoint: process.env.AWS_ENDPOINT_URL_KINESIS ?? process.env.AWS_ENDPOINT_URL,
  });
  const stream = args.stream!;
  const { records, calls } = await redriveDeadLetters(store, {
    from: args.from,
    to: args.to,
    kind: args.kind,
    putRecords: (batch) =>
      putAll(
        client,
        stream,
        batch.map((r) => ({ Data: r.data, PartitionKey: r.partitionKey })),
      ),
  });
  process.stdout.write(`put ${records} record(s) into ${stream} in ${calls} call(s)\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`deadletters: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
