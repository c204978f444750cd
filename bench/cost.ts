/**
 * `npm run cost`: runs a job for a number of batches on the embedded runtime at a given input rate, takes
 * each batch's AWS request counts (BatchInfo.requests) and prints what a month of it would cost on AWS,
 * beside the smallest Managed Flink application and Lambda's own Kinesis integration (src/engine/cost,
 * docs/COST.md).
 *   npm run cost                                  the demo job (Kinesis word count), 1,000 records/s, 30 batches
 *   npm run cost -- --job <module> --rate 5000 --batches 60 --runtime threads --json
 *   npm run cost -- --quick                       a few batches, for CI
 * Jobs reading Kinesis get an in-process kinesalite with a producer at --rate (the demo's sentences);
 * other jobs bring their own input and --rate does not apply. Batches run on the real clock.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { sentence } from '../examples/jobs/wordcount';
import {
  type Bill,
  COORDINATOR_MEMORY_MB,
  type Footprint,
  FootprintSampler,
  lambdaVcpus,
  monthlyBill,
  type Option,
} from '../src/engine/cost';
import { kinesisClient } from '../src/engine/io/aws-clients';
import { ensureStream, type Producer, startProducer } from '../src/engine/io/kinesis-admin';
import {
  addRequests,
  DEFAULT_TASK_MEMORY_MB,
  noRequests,
  type RequestCounts,
} from '../src/engine/io/metering';
import { startEmbedded } from '../src/engine/runtime';
import { startKinesalite } from '../src/engine/runtime/emulators';
import { kinesisStreamsOf } from '../src/engine/runtime/local-aws';
import type { BatchInfo } from '../src/engine/schedule';

function options() {
  const { values } = parseArgs({
    options: {
      job: { type: 'string', default: resolve(__dirname, '../examples/jobs/kinesis-wordcount.ts') },
      rate: { type: 'string', default: '1000' },
      batches: { type: 'string' },
      quick: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      runtime: { type: 'string', default: 'memory' },
      workers: { type: 'string', default: '2' },
      shards: { type: 'string', default: '2' },
      'task-memory': { type: 'string', default: String(DEFAULT_TASK_MEMORY_MB) },
      // As serverless.yml deploys it.
      'coordinator-memory': { type: 'string', default: String(COORDINATOR_MEMORY_MB) },
      // As serverless.yml deploys it (SLUICE_SMALL_BATCH_RECORDS): batches this small skip the fan-out.
      'small-batch-records': { type: 'string', default: '2000' },
    },
  });
  const number = (name: string, text: string | undefined, min: number): number => {
    const n = Number(text);
    if (!Number.isFinite(n) || n < min) fail(`--${name} must be a number of at least ${min}, got '${text}'`);
    return n;
  };
  if (values.runtime !== 'memory' && values.runtime !== 'threads') {
    fail(`--runtime must be memory or threads, got '${values.runtime}'`);
  }
  return {
    job: resolve(values.job),
    rate: number('rate', values.rate, 1),
    batches: number('batches', values.batches ?? (values.quick ? '4' : '30'), 1),
    json: values.json,
    runtime: values.runtime as 'memory' | 'threads',
    workers: number('workers', values.workers, 1),
    shards: number('shards', values.shards, 1),
    taskMemoryMb: number('task-memory', values['task-memory'], 128),
    coordinatorMemoryMb: number('coordinator-memory', values['coordinator-memory'], 128),
    smallBatchRecords: number('small-batch-records', values['small-batch-records'], 0),
  };
}

function fail(message: string): never {
  process.stderr.write(`npm run cost: ${message}\n`);
  process.exit(2);
}

/**
 * Kinesalite with the job's streams, and a producer at `rate` into the first one once `produce()` is
 * called; undefined for jobs that read no Kinesis stream.
 */
async function kinesisInput(streams: string[], shards: number, rate: number) {
  if (streams.length === 0) return undefined;
  const kinesalite = await startKinesalite();
  // Job code builds its Kinesis client from the environment.
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_KINESIS: kinesalite.endpoint,
  });
  const admin = kinesisClient({ endpoint: kinesalite.endpoint });
  for (const stream of streams) await ensureStream(admin, stream, shards);
  let producer: Producer | undefined;
  let startedAt = 0;
  return {
    produce() {
      if (producer) return;
      startedAt = performance.now();
      producer = startProducer(admin, streams[0], rate, sentence);
    },
    /** Records put per second since produce(). */
    rate(): number {
      return producer ? producer.sent / ((performance.now() - startedAt) / 1000) : 0;
    },
    async stop() {
      await producer?.stop();
      admin.destroy();
      await kinesalite.stop();
    },
  };
}

async function run(o: ReturnType<typeof options>) {
  const streams = kinesisStreamsOf(o.job);
  const input = await kinesisInput(streams, o.shards, o.rate);
  const infos: BatchInfo[] = [];
  // This process is the coordinator plus the producer (kinesalite runs in a child process): batches under
  // --small-batch-records run in it, as on Lambda. Larger ones, or --runtime threads, add task work here.
  const footprint = new FootprintSampler();
  let steadyCpu: NodeJS.CpuUsage | undefined;
  try {
    const job = startEmbedded({
      jobModule: o.job,
      runtime: o.runtime,
      workers: o.workers,
      batches: o.batches + WARM_UP_BATCHES,
      taskMemoryMb: o.taskMemoryMb,
      smallBatchRecords: o.smallBatchRecords,
      log: () => undefined,
      onBatch: (info) => {
        infos.push(info);
        if (infos.length === WARM_UP_BATCHES) steadyCpu = process.cpuUsage();
        // Records start once the job runs, so no backlog of its start-up inflates the measured rate.
        input?.produce();
      },
    });
    await job.done;
    const cpu = process.cpuUsage(steadyCpu);
    const steadyBatches = Math.max(1, infos.length - WARM_UP_BATCHES);
    return {
      infos,
      batchMs: job.context.batchMs,
      inputRate: input?.rate(),
      footprint: footprint.stop(),
      cpuMsPerBatch: (cpu.user + cpu.system) / 1000 / steadyBatches,
    };
  } finally {
    footprint.stop();
    await input?.stop();
  }
}

/**
 * Left out of the figures: the first batch takes the lease and loads the job (workers start), the second
 * sees only part of an interval of records.
 */
const WARM_UP_BATCHES = 2;

function meanOf(counts: RequestCounts[]): RequestCounts {
  const sum = counts.reduce((total, c) => addRequests(total, c), noRequests());
  return Object.fromEntries(
    Object.entries(sum).map(([kind, n]) => [kind, n / Math.max(1, counts.length)]),
  ) as unknown as RequestCounts;
}

// Cents shown: a bill near a target (the issue's $60) must not round over or under it.
const usd = (n: number) =>
  Number.isFinite(n) ? `$${n.toFixed(n >= 1000 ? 0 : n >= 0.1 || n === 0 ? 2 : 4)}` : '-';
const count = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)} M` : n.toFixed(n < 10 ? 2 : 0));

function table(option: Option): string {
  const rows = option.lines.map(
    (l) =>
      `    ${l.item.padEnd(42)} ${count(l.quantity).padStart(10)} ${l.unit.padEnd(9)} ${usd(l.usd).padStart(9)}`,
  );
  return [
    `  ${option.name}: ${usd(option.usdPerMonth)} a month, ${usd(option.usdPerMillionRecords)} per million records`,
    ...rows,
    `    (assumes: ${option.assumes})`,
  ].join('\n');
}

/** What the coordinator used here, and what its Lambda function gets at the memory priced. */
function coordinatorFigures(footprint: Footprint, cpuMsPerBatch: number, batchMs: number, memoryMb: number) {
  const vcpus = lambdaVcpus(memoryMb);
  return {
    ...footprint,
    cpuMsPerBatch,
    memoryMb,
    vcpus,
    // The share of a batch interval the batch's CPU would take on that many vCPUs (one thread, at most 1).
    busyOnLambda: cpuMsPerBatch / Math.min(1, vcpus) / batchMs,
  };
}

function coordinatorLines(c: ReturnType<typeof coordinatorFigures>, batchMs: number): string[] {
  const mb = (n: number) => `${Math.round(n)} MB`;
  return [
    `  coordinator process here: peak RSS ${mb(c.peakRssMb)}, heap used ${mb(c.peakHeapUsedMb)} (heap ${mb(c.peakHeapTotalMb)}, external ${mb(c.peakExternalMb)}); ${c.cpuMsPerBatch.toFixed(0)} ms CPU per ${batchMs} ms batch`,
    `  coordinator on Lambda at ${c.memoryMb} MB: ${c.vcpus.toFixed(2)} vCPU, busy ${(100 * c.busyOnLambda).toFixed(0)}% of each interval at this machine's speed`,
  ];
}

function report(
  o: ReturnType<typeof options>,
  perBatch: RequestCounts,
  recordsPerSecond: number,
  bill: Bill,
  coordinator: ReturnType<typeof coordinatorFigures>,
  batchMs: number,
) {
  const kinds = Object.entries(perBatch)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${kind}=${Number(n.toFixed(2))}`)
    .join(' ');
  return [
    `sluice cost: ${o.job} on the ${o.runtime} runtime, ${Math.round(recordsPerSecond)} records/s measured`,
    `  requests per batch (mean of ${o.batches}): ${kinds}`,
    `  a month: ${count(bill.batchesPerMonth)} batches, ${count(bill.recordsPerMonth)} records (us-east-1 list prices, docs/COST.md)`,
    ...coordinatorLines(coordinator, batchMs),
    '',
    ...bill.options.map(table),
    '',
    '  the same for every option:',
    table(bill.kinesis),
  ].join('\n');
}

async function main() {
  const o = options();
  const { infos, batchMs, inputRate, footprint, cpuMsPerBatch } = await run(o);
  const coordinator = coordinatorFigures(footprint, cpuMsPerBatch, batchMs, o.coordinatorMemoryMb);
  const steady = infos.slice(WARM_UP_BATCHES);
  const perBatch = meanOf(steady.map((i) => i.requests));
  const records = steady.reduce((sum, i) => sum + i.records, 0);
  // Kinesis: what the producer put, measured (a batch that fell behind on a busy machine reads a backlog,
  // so records per interval would overstate it). Other sources cut records by stream time.
  const recordsPerSecond = inputRate ?? records / ((steady.length * batchMs) / 1000);
  const bill = monthlyBill({
    perBatch,
    batchMs,
    recordsPerSecond,
    shards: o.shards,
    coordinatorMemoryMb: o.coordinatorMemoryMb,
    coordinatorInvocationS: 900,
  });
  if (o.json) {
    const summary = { job: o.job, runtime: o.runtime, batches: steady.length, batchMs, recordsPerSecond };
    process.stdout.write(
      `${JSON.stringify({ ...summary, requestsPerBatch: perBatch, coordinator, bill })}\n`,
    );
  } else {
    process.stdout.write(`${report(o, perBatch, recordsPerSecond, bill, coordinator, batchMs)}\n`);
  }
}

main().catch((error) => {
  process.stderr.write(
    `npm run cost failed: ${error instanceof Error ? (error.stack ?? error.message) : error}\n`,
  );
  process.exitCode = 1;
});
