/**
 * The chaos run on the local AWS path: the same job reads Kinesis (kinesalite, with throttling and empty
 * pages injected into the coordinator's client) and keeps its data in S3 (s3rver behind the proxy that
 * enforces conditional writes), tasks run behind the Lambda Invoke endpoint. On top of the embedded
 * run's kinds, the S3 and Kinesis endpoints restart. A coordinator that stops (crash, failed batch, kill)
 * is replaced, as the next scheduled run would replace it on AWS; one paused past its lease is replaced
 * while paused, then woken.
 */
import { resolve } from 'node:path';
import { type BatchInfo, ManualClock, MemoryStore, readManifest } from '../src/engine';
import { LeaseHeldError } from '../src/engine/catalog';
import type { TaskResult, TaskSpec } from '../src/engine/exec';
import { kinesisClient } from '../src/engine/io/aws-clients';
import { putAll } from '../src/engine/io/kinesis-admin';
import { jobStore, storeFrom } from '../src/engine/runtime/config';
import type { RunningCoordinator } from '../src/engine/runtime/lambda';
import { startLocalAws } from '../src/engine/runtime/local-aws';
import { CoordinatorCrash } from '../src/engine/schedule';
import {
  CoordinatorClock,
  installKinesisChaos,
  pastMillisecond,
  printInputs,
  rewriteLease,
  uninstallKinesisChaos,
  verbose,
  withTimeout,
} from './chaos/aws-helpers';
import { compareOutputs, poisonDeadLetters, sinkOutputs } from './chaos/compare';
import { runToEnd } from './chaos/embedded';
import { kindsOf, noFaults, type SeedReport } from './chaos/kinds';
import { inputsFor, poisoned } from './chaos/pipeline';
import { expiryRule, isPauseWrite, isStale, planFor, seedFaults } from './chaos/plan';
import {
  EchoInvoker,
  ExpiringStore,
  FaultyInvoker,
  Gate,
  GatedStore,
  KillableInvoker,
  LossyStore,
  randomLoss,
  SlowDownStore,
  seededRandom,
  ThrottlingInvoker,
} from './faults';
import { CHAOS_STREAM } from './jobs/chaos-kinesis-job';

const JOB = resolve(__dirname, 'jobs/chaos-kinesis-job.ts');
const LEASE_TTL_MS = 5000;
/** Batches the take-over coordinator commits before the paused one wakes up. */
const TAKEOVER_BATCHES = 2;

interface Running {
  coordinator: RunningCoordinator;
  clock: CoordinatorClock;
  gate: Gate;
  /** Resolves when this coordinator is paused (its writes held) or killed. */
  event: Promise<'paused' | 'killed'>;
}

export async function runAwsChaosSeed(seed: number, batches: number): Promise<SeedReport> {
  const started = Date.now();
  const inputs = inputsFor(seed, batches);
  const reference = await runToEnd(inputs, new MemoryStore());
  const random = seededRandom(seed);
  const plan = planFor(batches, random);
  const counts = noFaults();
  const faults = seedFaults(random, plan, counts);
  const poison = poisoned(inputs, random, plan.poison);
  counts.poisonRecords = poison.count;
  const kinesisChaos = installKinesisChaos(seed);
  const clock = new ManualClock(0);
  const committed = new Set<number>();
  const armed = { crash: true, kill: true, stale: true };
  const echoes: EchoInvoker<TaskSpec, TaskResult>[] = [];
  const zombies: Running[] = [];
  /** Gates of paused or killed coordinators that were woken: no more S3 faults, only their fence. */
  const woken = new Set<Gate>();
  const aws = await startLocalAws({
    jobModule: JOB,
    workers: 2,
    shards: 2,
    clock,
    restartable: true,
    coordinator: false,
    onBatch: (info: BatchInfo) => {
      committed.add(info.batchTime);
      if (info.batchTime >= plan.slowDown * 1000) faults.forceOnce('slowDowns');
      if (info.batchTime >= plan.throttle * 1000) faults.forceOnce('throttles');
    },
  });
  const endpointRestart = {
    s3: 1 + Math.floor(random() * batches),
    kinesis: 1 + Math.floor(random() * batches),
  };
  let failedCoordinators = 0;
  let incarnation = 0;

  const start = async (role: 'main' | 'takeover'): Promise<Running> => {
    const gate = new Gate();
    const own = new CoordinatorClock(clock);
    let signal!: (event: 'paused' | 'killed') => void;
    const event = new Promise<'paused' | 'killed'>((resolve) => {
      signal = resolve;
    });
    const coordinator = await aws.startCoordinator({
      clock: own,
      wrapStore: (store) => {
        const base = new ExpiringStore(
          new LossyStore(store, randomLoss(0.1, random), counts),
          expiryRule(plan),
          counts,
        );
        // The gate is inside the S3 faults: a held write, once let go, reaches the store (and its fence).
        return new SlowDownStore(
          new GatedStore(
            base,
            gate,
            (key, body) => armed.stale && isPauseWrite(plan.stale.at, plan.stale.batch * 1000, key, body),
            () => {
              armed.stale = false;
              signal('paused');
            },
          ),
          { next: () => !gate.closed && !woken.has(gate) && faults.slowDowns.next() },
          counts,
        );
      },
      wrapInvoker: (invoker) => {
        const echo = new EchoInvoker(
          new ThrottlingInvoker(
            new FaultyInvoker(
              invoker,
              { taskFailure: 0.05, straggler: 0.03, stragglerDelayMs: 40 },
              random,
              counts,
            ),
            faults.throttles,
            counts,
          ),
          { late: 0.03, duplicate: 0.02, lateDelayMs: () => 20 + Math.floor(random() * 300) },
          random,
          counts,
          (spec) => invoker.invoke(spec),
        );
        echoes.push(echo);
        return new KillableInvoker(
          echo,
          (spec) => {
            // Sink rows travel back in result tasks, written out by the coordinator afterwards.
            const output = spec.kind === 'sink' || spec.kind === 'result';
            if (!armed.kill || !output || spec.batchTime < plan.kill * 1000) return false;
            armed.kill = false;
            signal('killed');
            return true;
          },
          gate,
        );
      },
      start: {
        owner: `coordinator-${incarnation++}${role === 'main' ? '' : '-takeover'}`,
        leaseTtlMs: LEASE_TTL_MS,
        retry: { maxAttempts: 10, backoffMs: 20, maxBackoffMs: 200 },
        speculation: { minThresholdMs: 30 },
      },
    });
    // Set before its first batch: a started coordinator waits for the next batch time on its clock.
    coordinator.context.coordinator!.crashAt = (point, time) => {
      // A woken stale coordinator must show how the fence stops it, not die of an injected crash first.
      if (woken.has(gate)) return false;
      const forced = armed.crash && time === plan.crash.batch * 1000 && point === plan.crash.point;
      if (forced) armed.crash = false;
      return forced || random() < 0.01;
    };
    return { coordinator, clock: own, gate, event };
  };

  const producer = kinesisClient({ endpoint: aws.env.AWS_ENDPOINT_URL_KINESIS });
  const store = jobStore(storeFrom(aws.env.SLUICE_STORE, aws.env.AWS_ENDPOINT_URL_S3), 'chaos');
  /** Starts a coordinator, retrying while S3 or Kinesis restart under it. */
  const startRetrying = async (role: 'main' | 'takeover'): Promise<Running> => {
    for (let attempt = 0; ; attempt++) {
      try {
        verbose(`starting a ${role} coordinator (attempt ${attempt})`);
        return await start(role);
      } catch (error) {
        verbose(
          `start failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
        );
        if (attempt > 20) throw error;
        // A start that took the lease and then failed (S3 down) could not release it either: it is dead.
        if (error instanceof LeaseHeldError)
          await rewriteLease(store, (lease) => ({ ...lease, released: true }));
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  };
  let paused: { running: Running; wakeAfter: number } | undefined;
  const wake = async (p: Running, expectStale: boolean) => {
    // Woken long after its lease ran out, by its own clock too.
    p.clock.skip(LEASE_TTL_MS + 1000);
    woken.add(p.gate);
    p.gate.open();
    const outcome = await withTimeout(
      p.coordinator.done.then(
        () => undefined,
        (error: unknown) => error,
      ),
      60_000,
      `seed ${seed}: a woken coordinator did not stop`,
    );
    if (!expectStale) return;
    if (isStale(outcome)) counts.staleCoordinators++;
    else
      throw new Error(
        `seed ${seed}: a coordinator paused past its lease was not refused (${String(outcome)})`,
      );
  };
  try {
    let running = await startRetrying('main');
    for (let batch = 1; batch <= batches; batch++) {
      const words = poison.inputs[batch - 1];
      await putAll(
        producer,
        CHAOS_STREAM,
        words.map((w, i) => ({ Data: Buffer.from(w), PartitionKey: `${batch}-${i}` })),
      );
      // A batch takes the records that arrived before its cutoff, and Kinesis stamps arrivals in whole
      // milliseconds: planned within the millisecond the put returned, the batch would leave the
      // records stamped in it to the next batch, rightly, where the reference expects them in this one.
      await pastMillisecond(Date.now());
      const outage =
        batch === endpointRestart.s3 || random() < 0.03
          ? aws.restart!.s3(150)
          : batch === endpointRestart.kinesis || random() < 0.03
            ? aws.restart!.kinesis(150)
            : undefined;
      if (outage) counts.endpointRestarts++;
      verbose(`batch ${batch}: records in${outage ? ', an endpoint restarts' : ''}`);
      if (clock.now() < batch * 1000 + 1) clock.setTime(batch * 1000 + 1);
      const deadline = Date.now() + 180_000;
      while (!committed.has(batch * 1000)) {
        if (Date.now() > deadline) throw new Error(`seed ${seed}: batch ${batch} not committed in 180 s`);
        const stopped = await Promise.race([
          running.coordinator.done.then(
            () => 'stopped',
            (error: unknown) => error,
          ),
          running.event,
          new Promise((resolve) => setTimeout(() => resolve('waiting'), 20)),
        ]);
        if (stopped === 'waiting') continue;
        verbose(
          `batch ${batch}: coordinator stopped (${stopped instanceof Error ? stopped.message : String(stopped)})`,
        );
        if (stopped === 'paused' || stopped === 'killed') verbose(`batch ${batch}: coordinator ${stopped}`);
        if (stopped === 'paused') {
          // Paused past its lease: the store sees the lease run out, and another coordinator takes over.
          paused = { running, wakeAfter: batch + TAKEOVER_BATCHES };
          await rewriteLease(store, (lease) => ({ ...lease, expiresAt: clock.now() - 1 }));
          running = await startRetrying('takeover');
          continue;
        }
        if (stopped === 'killed') {
          counts.midSinkKills++;
          zombies.push(running);
        } else if (stopped instanceof CoordinatorCrash) {
          counts.crashes++;
        } else {
          failedCoordinators++;
        }
        // The stopped coordinator is known dead but may hold its lease (a crash, a kill, S3 down while it
        // released it): break the lease rather than wait, since moving the clock on would run later
        // batches before their records are in the stream.
        await rewriteLease(store, (lease) => ({ ...lease, released: true }));
        // A crash right after the commit never reported the batch; the manifest says it is done.
        if ((await readManifest(store, batch * 1000).catch(() => undefined))?.status === 'committed') {
          committed.add(batch * 1000);
        }
        running = await startRetrying('main');
      }
      await outage;
      if (paused && batch >= paused.wakeAfter) {
        await wake(paused.running, true);
        paused = undefined;
      }
    }
    verbose('all batches committed; waking paused and killed coordinators, draining late tasks');
    if (paused) await wake(paused.running, true);
    await withTimeout(running.coordinator.stop(), 60_000, `seed ${seed}: the last coordinator did not stop`);
    for (const zombie of zombies) await wake(zombie, false);
    for (const echo of echoes) await echo.drain();
    const outputs = await sinkOutputs(store);
    const { mismatches, lost, duplicated, badBatches } = compareOutputs(reference.outputs, outputs, batches);
    if (process.env.CHAOS_VERBOSE) await printInputs(store, badBatches, poison.inputs);
    const found = await poisonDeadLetters(store);
    Object.assign(counts, kinesisChaos.counts);
    return {
      seed,
      batches,
      faults: kindsOf(counts, 'aws'),
      failedCoordinators,
      deadLetters: { injected: poison.count, ...found },
      mismatches: mismatches + (found.distinct === poison.count ? 0 : 1),
      lost,
      duplicated,
      ...(badBatches.length > 0 ? { badBatches } : {}),
      seconds: Math.round((Date.now() - started) / 100) / 10,
    };
  } finally {
    verbose('stopping the local AWS');
    // Paused or killed coordinators left behind (the seed failed) must be able to stop too.
    for (const left of [...zombies, ...(paused ? [paused.running] : [])]) {
      if (woken.has(left.gate)) continue;
      left.clock.skip(LEASE_TTL_MS + 1000);
      woken.add(left.gate);
      left.gate.open();
    }
    uninstallKinesisChaos();
    producer.destroy();
    await aws.stop();
  }
}
