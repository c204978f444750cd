/**
 * The chaos run on the local AWS path: the same job reads Kinesis (kinesalite) and keeps its data in S3
 * (s3rver), tasks run behind the Lambda Invoke endpoint, and on top of task failures, stragglers, lost
 * cached data and coordinator crashes, the S3 and Kinesis endpoints restart (connections dropped and
 * refused for a moment). A coordinator that stops (crash or failed batch) is replaced, as the next
 * scheduled run would replace it on AWS.
 */
import { resolve } from 'node:path';
import { type BatchInfo, ManualClock, MemoryStore, readManifest, type Store, StoreSink } from '../src/engine';
import { kinesisClient } from '../src/engine/io/aws-clients';
import {
  type FaultCounts,
  FaultyInvoker,
  LossyStore,
  randomLoss,
  seededRandom,
} from '../src/engine/io/faults';
import { putAll } from '../src/engine/io/kinesis-admin';
import { jobStore, storeFrom } from '../src/engine/runtime/config';
import type { RunningCoordinator } from '../src/engine/runtime/lambda';
import { startLocalAws } from '../src/engine/runtime/local-aws';
import { CoordinatorCrash, type CrashPoint } from '../src/engine/schedule';
import { compareOutputs, inputsFor, type Row, runToEnd, type SeedReport } from './chaos';
import { CHAOS_STREAM } from './jobs/chaos-kinesis-job';

const JOB = resolve(__dirname, 'jobs/chaos-kinesis-job.ts');
const CRASH_POINTS: CrashPoint[] = ['after-manifest', 'mid-fanout', 'before-commit', 'after-commit'];
const LEASE_TTL_MS = 5000;

export interface AwsSeedReport extends SeedReport {
  faults: SeedReport['faults'] & { restarts: number; failedCoordinators: number };
}

async function breakLease(store: Store): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      const bytes = await store.get('lease.json');
      const text = bytes ? new TextDecoder().decode(bytes) : '';
      if (!text.startsWith('{')) return; // absent, or torn by the outage: nothing to break
      const lease = JSON.parse(text);
      await store.put('lease.json', new TextEncoder().encode(JSON.stringify({ ...lease, released: true })));
      return;
    } catch (error) {
      if (attempt > 20) throw error; // S3 may be restarting right now
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

export async function runAwsChaosSeed(seed: number, batches: number): Promise<AwsSeedReport> {
  const inputs = inputsFor(seed, batches);
  const reference = await runToEnd(inputs, new MemoryStore());
  const random = seededRandom(seed);
  const counts: FaultCounts = { taskFailures: 0, stragglers: 0, lostObjects: 0 };
  const clock = new ManualClock(0);
  const committed = new Set<number>();
  const aws = await startLocalAws({
    jobModule: JOB,
    workers: 2,
    shards: 2,
    clock,
    restartable: true,
    coordinator: false,
    onBatch: (info: BatchInfo) => committed.add(info.batchTime),
  });
  const forced = {
    crash: 1 + Math.floor(random() * batches),
    s3: 1 + Math.floor(random() * batches),
    kinesis: 1 + Math.floor(random() * batches),
  };
  const crashPoint = CRASH_POINTS[Math.floor(random() * CRASH_POINTS.length)];
  let crashes = 0;
  let failedCoordinators = 0;
  let restarts = 0;
  let incarnation = 0;
  const start = () =>
    aws.startCoordinator({
      wrapStore: (store) => new LossyStore(store, randomLoss(0.1, random), counts),
      wrapInvoker: (invoker) =>
        new FaultyInvoker(
          invoker,
          { taskFailure: 0.05, straggler: 0.03, stragglerDelayMs: 40 },
          random,
          counts,
        ),
      start: {
        owner: `coordinator-${incarnation++}`,
        leaseTtlMs: LEASE_TTL_MS,
        retry: { maxAttempts: 10, backoffMs: 20, maxBackoffMs: 200 },
        speculation: { minThresholdMs: 30 },
        crashAt: (point, time) => (time === forced.crash * 1000 && point === crashPoint) || random() < 0.01,
      },
    });
  const producer = kinesisClient({ endpoint: aws.env.AWS_ENDPOINT_URL_KINESIS });
  const store = jobStore(storeFrom(aws.env.SLUICE_STORE, aws.env.AWS_ENDPOINT_URL_S3), 'chaos');
  try {
    let running: RunningCoordinator = await start();
    for (let batch = 1; batch <= batches; batch++) {
      const words = inputs[batch - 1];
      await putAll(
        producer,
        CHAOS_STREAM,
        words.map((w, i) => ({ Data: Buffer.from(w), PartitionKey: `${batch}-${i}` })),
      );
      const outage =
        batch === forced.s3 || random() < 0.03
          ? aws.restart!.s3(150)
          : batch === forced.kinesis || random() < 0.03
            ? aws.restart!.kinesis(150)
            : undefined;
      if (outage) restarts++;
      if (clock.now() < batch * 1000) clock.setTime(batch * 1000);
      while (!committed.has(batch * 1000)) {
        const stopped = await Promise.race([
          running.done.then(
            () => 'stopped',
            (error: unknown) => error,
          ),
          new Promise((resolve) => setTimeout(() => resolve('waiting'), 20)),
        ]);
        if (stopped === 'waiting') continue;
        if (stopped instanceof CoordinatorCrash) {
          crashes++;
          if (stopped.batchTime === forced.crash * 1000) forced.crash = -1;
        } else {
          failedCoordinators++;
        }
        // The stopped coordinator may not have released its lease (a crash, or S3 down at that moment).
        // It is known dead, so break its lease instead of waiting: moving the clock on would run later
        // batches before their records are in the stream.
        await breakLease(store);
        // A crash right after the commit never reported the batch; the manifest says it is done.
        if ((await readManifest(store, batch * 1000).catch(() => undefined))?.status === 'committed') {
          committed.add(batch * 1000);
        }
        running = await start();
      }
      await outage;
    }
    await running.stop();
    const sink = new StoreSink<Row>('chaos');
    const outputs = new Map<number, Row[]>();
    for (const time of await sink.committedBatches(store))
      outputs.set(time, (await sink.readBatch(store, time)) ?? []);
    const diff = compareOutputs(reference.outputs, outputs, batches);
    return { seed, batches, faults: { ...counts, crashes, restarts, failedCoordinators }, ...diff };
  } finally {
    producer.destroy();
    await aws.stop();
  }
}
