/**
 * One run of the demo path (`npm start -- --runtime local-aws`) at one rate, for bench/local-aws.ts:
 * kinesalite, s3rver, the local Lambda endpoint and its worker threads, the demo's producer and job.
 * Prints one JSON line with every batch's figures. The engine is loaded from `--root`, so the same
 * runner measures another checkout (the baseline) in the same session.
 *   tsx bench/local-aws-run.ts --root . --rate 20000 --seconds 20 [--workers 2] [--warm-up 4] [--plain]
 * As the demo runs it: KPL-style aggregates (--plain: one Kinesis record per event), batches of up to
 * 2,000 records in the coordinator (--small-batch-records).
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

interface Batch {
  batchTime: number;
  records: number;
  schedulingDelayMs: number;
  processingMs: number;
  tasks: number;
  requests?: { lambdaInvokes?: number; kinesisGetRecords?: number; s3Put?: number; s3Get?: number };
}

interface LocalAwsModule {
  startLocalAws(options: Record<string, unknown>): Promise<{
    producer?: { sent: number };
    coordinator?: { done: Promise<void> };
    stop(): Promise<void>;
  }>;
}

async function main() {
  const { values } = parseArgs({
    options: {
      root: { type: 'string', default: '.' },
      rate: { type: 'string', default: '2000' },
      seconds: { type: 'string', default: '20' },
      workers: { type: 'string', default: '2' },
      'warm-up': { type: 'string', default: '4' },
      plain: { type: 'boolean', default: false },
      'small-batch-records': { type: 'string', default: '2000' },
    },
  });
  const root = resolve(values.root);
  const rate = Number(values.rate);
  const seconds = Number(values.seconds);
  const warmUp = Number(values['warm-up']);
  const { startLocalAws } = require(join(root, 'src/engine/runtime/local-aws')) as LocalAwsModule;
  const { sentence } = require(join(root, 'examples/jobs/wordcount')) as {
    sentence: (i: number) => string;
  };
  const batches: Batch[] = [];
  const startedAt = performance.now();
  const aws = await startLocalAws({
    jobModule: join(root, 'examples/jobs/kinesis-wordcount.ts'),
    workers: Number(values.workers),
    // `generate` for checkouts whose producer runs on this thread, `generator` for the others.
    producer: {
      ratePerSecond: rate,
      generate: sentence,
      generator: demoGenerator(root),
      aggregate: !values.plain,
    },
    smallBatchRecords: Number(values['small-batch-records']),
    onBatch: (info: Batch) => batches.push(info),
    // The job's lines and a producer that stopped, apart from the figures on stdout.
    log: (line: string) => process.stderr.write(`${line}\n`),
  });
  const producingSince = performance.now();
  await new Promise((done) => setTimeout(done, (seconds + warmUp) * 1000));
  const produced = aws.producer?.sent ?? 0;
  const producedPerSecond = produced / ((performance.now() - producingSince) / 1000);
  const measured = batches.slice(warmUp);
  process.stdout.write(
    `${JSON.stringify({
      rate,
      startMs: Math.round(producingSince - startedAt),
      producedPerSecond: Math.round(producedPerSecond),
      batches: measured.map((b) => ({
        records: b.records,
        delayMs: b.schedulingDelayMs,
        processingMs: b.processingMs,
        tasks: b.tasks,
        invocations: b.requests?.lambdaInvokes,
        getRecords: b.requests?.kinesisGetRecords,
        s3Requests: (b.requests?.s3Put ?? 0) + (b.requests?.s3Get ?? 0),
      })),
    })}\n`,
  );
  // Printed first: a checkout that fell far behind may take long to finish its batch in progress.
  await aws.stop();
}

/** The demo's sentence generator by module and export, for checkouts whose producer runs off-thread. */
function demoGenerator(root: string) {
  return { module: join(root, 'examples/jobs/wordcount.ts'), name: 'sentence' };
}

main().catch((error) => {
  process.stderr.write(`local-aws-run failed: ${error instanceof Error ? error.stack : error}\n`);
  process.exitCode = 1;
});
