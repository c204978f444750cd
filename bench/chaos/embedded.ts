/**
 * The embedded chaos run: the job on an in-memory store, tasks in this process, one supervisor that
 * replaces every coordinator that crashes, fails or is killed, and lets a second coordinator take over
 * from one paused past its lease. See bench/chaos.ts for the fault kinds.
 */
import { ManualClock, MemoryStore, type Store, StoreSink, StreamingContext } from '../../src/engine';
import { JobCatalog } from '../../src/engine/catalog';
import { runTask, type TaskResult, type TaskSpec } from '../../src/engine/exec';
import { InProcessInvoker } from '../../src/engine/io/in-process-invoker';
import type { Invoker } from '../../src/engine/io/ports';
import { type BatchInfo, Coordinator, CoordinatorCrash, lastCommittedBatch } from '../../src/engine/schedule';
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
} from '../faults';
import { compareOutputs, poisonDeadLetters, sinkOutputs } from './compare';
import { kindsOf, noFaults, type SeedReport } from './kinds';
import { chaosPipeline, inputsFor, poisoned, type Row } from './pipeline';
import { expiryRule, isPauseWrite, isStale, planFor, type SeedFaults, seedFaults } from './plan';

const LEASE_TTL_MS = 5000;
/** A coordinator that fails this many times in a row without a batch committed in between is a bug. */
const MAX_FRUITLESS_RESTARTS = 25;

type Outcome =
  | { kind: 'finished' }
  | { kind: 'failed'; error: unknown }
  | { kind: 'paused' }
  | { kind: 'killed' };

interface Incarnation {
  done: Promise<Outcome>;
  /** Resolves when the coordinator is paused (its writes held) or killed. */
  event: Promise<Outcome>;
  gate: Gate;
  echoes?: EchoInvoker<TaskSpec, TaskResult>;
}

/**
 * Runs the job over `inputs` until every batch committed, replacing coordinators as they stop. Without
 * `faults`, the fault-free reference. Returns the sink output, driver outputs and replacement count.
 */
export async function runToEnd(inputs: string[][], store: Store, faults?: SeedFaults) {
  const clock = new ManualClock(0, { autoAdvance: true });
  const driver = new Map<number, string>();
  const echoes: EchoInvoker<TaskSpec, TaskResult>[] = [];
  const armed = { crash: true, kill: true, stale: true };
  /** Gates of paused coordinators that were woken: no more S3 faults for them, only their fence. */
  const wokenGates = new Set<Gate>();
  let failedCoordinators = 0;
  let fruitless = 0;
  let committedSince = 0;

  const onBatch = (info: BatchInfo) => {
    committedSince++;
    if (!faults) return;
    const batch = info.batchTime / 1000;
    if (batch >= faults.plan.slowDown) faults.forceOnce('slowDowns');
    if (batch >= faults.plan.throttle) faults.forceOnce('throttles');
  };

  const start = (name: string, batches: number): Incarnation => {
    const ssc = new StreamingContext({ batchInterval: '1s', partitions: 3, name: 'chaos' });
    chaosPipeline(ssc.queueStream(inputs), new StoreSink<Row>('chaos'), driver);
    ssc.graph.start(0);
    const tasks = new InProcessInvoker<TaskSpec, TaskResult>(
      (spec) => runTask(spec, { store, graphFor: () => ssc.graph }),
      4,
    );
    const gate = new Gate();
    let signal!: (outcome: Outcome) => void;
    const event = new Promise<Outcome>((resolve) => {
      signal = resolve;
    });
    let invoker: Invoker<TaskSpec, TaskResult> = tasks;
    let coordinatorStore = store;
    let echo: EchoInvoker<TaskSpec, TaskResult> | undefined;
    let crashAt: ((point: string, time: number) => boolean) | undefined;
    if (faults) {
      const { random, counts, plan } = faults;
      const failing = new FaultyInvoker(
        tasks,
        { taskFailure: 0.05, straggler: 0.03, stragglerDelayMs: 40 },
        random,
        counts,
      );
      echo = new EchoInvoker(
        new ThrottlingInvoker(failing, faults.throttles, counts),
        { late: 0.03, duplicate: 0.02, lateDelayMs: () => 5 + Math.floor(random() * 100) },
        random,
        counts,
        (spec) => tasks.invoke(spec),
      );
      echoes.push(echo);
      invoker = new KillableInvoker(
        echo,
        (spec) => {
          // Sink rows travel back in result tasks, written out by the coordinator afterwards.
          const output = spec.kind === 'sink' || spec.kind === 'result';
          if (!armed.kill || !output || spec.batchTime < plan.kill * 1000) return false;
          armed.kill = false;
          signal({ kind: 'killed' });
          return true;
        },
        gate,
      );
      // The gate is inside the S3 faults: a held write, once let go, reaches the store (and its fence).
      coordinatorStore = new SlowDownStore(
        new GatedStore(
          store,
          gate,
          (key, body) => armed.stale && isPauseWrite(plan.stale.at, plan.stale.batch * 1000, key, body),
          () => {
            armed.stale = false;
            signal({ kind: 'paused' });
          },
        ),
        { next: () => !gate.closed && !wokenGates.has(gate) && faults.slowDowns.next() },
        counts,
      );
      crashAt = (point, time) => {
        // A woken stale coordinator must show how the fence stops it, not die of an injected crash first.
        if (wokenGates.has(gate)) return false;
        const forced = armed.crash && time === plan.crash.batch * 1000 && point === plan.crash.point;
        if (forced) armed.crash = false;
        return forced || random() < 0.015;
      };
    }
    const coordinator = new Coordinator({
      job: 'chaos',
      graph: ssc.graph,
      store: coordinatorStore,
      invoker,
      clock,
      owner: name,
      leaseTtlMs: LEASE_TTL_MS,
      retry: { maxAttempts: 10, backoffMs: 1, maxBackoffMs: 10 },
      speculation: { minThresholdMs: 15, checkEveryMs: 5 },
      batchRetries: 3,
      batchRetryBackoffMs: 50,
      onBatch,
    });
    coordinator.crashAt = crashAt;
    const done = coordinator.run({ batches }).then(
      (): Outcome => ({ kind: 'finished' }),
      (error: unknown): Outcome => ({ kind: 'failed', error }),
    );
    return { done, event, gate, echoes: echo };
  };

  for (let n = 0; ; n++) {
    const committed = (await lastCommittedBatch(store, 0))?.batchTime ?? 0;
    const remaining = inputs.length - committed / 1000;
    if (remaining <= 0) break;
    if (committedSince > 0) fruitless = 0;
    committedSince = 0;
    const current = start(`coordinator-${n}`, remaining);
    let outcome = await Promise.race([current.done, current.event]);
    if (outcome.kind === 'paused') {
      // Paused past its lease: another coordinator (with every fault but this one) takes over and
      // commits a few batches, then the paused one wakes up. Every write it still tries must be refused.
      clock.advance(LEASE_TTL_MS + 1000);
      // A takeover that fails before it takes the lease (an injected fault) leaves the paused coordinator's
      // lease untouched, and that one may then rightly go on: start another, as the watchdog would.
      for (let attempt = 0; ; attempt++) {
        const takeover = start(`coordinator-${n}-takeover-${attempt}`, Math.min(3, remaining));
        outcome = await Promise.race([takeover.done, takeover.event]);
        const holder = (await new JobCatalog(store).readLease())?.value.owner;
        if (holder !== `coordinator-${n}` || attempt >= MAX_FRUITLESS_RESTARTS) break;
        if (outcome.kind === 'failed') settleFailure(outcome.error);
      }
      wokenGates.add(current.gate);
      current.gate.open();
      const woken = await current.done;
      if (woken.kind === 'failed' && isStale(woken.error)) faults!.counts.staleCoordinators++;
      else
        throw new Error(
          `seed plan ${JSON.stringify(faults?.plan.stale)}: a coordinator paused past its lease was not refused (${describe(woken)}; the takeover ${describe(outcome)})`,
        );
    }
    if (outcome.kind === 'killed') {
      // Killed at its deadline mid-output: it never writes again, and never gives its lease back.
      faults!.counts.midSinkKills++;
      clock.advance(LEASE_TTL_MS + 1000);
      continue;
    }
    if (outcome.kind === 'failed') fruitless += settleFailure(outcome.error);
    if (fruitless > MAX_FRUITLESS_RESTARTS) throw (outcome as { error?: unknown }).error;
  }
  for (const echo of echoes) await echo.drain();
  return { outputs: await sinkOutputs(store), driver, failedCoordinators };

  function settleFailure(error: unknown): number {
    if (error instanceof CoordinatorCrash) {
      faults!.counts.crashes++;
    } else if (faults) {
      failedCoordinators++;
      if (process.env.CHAOS_VERBOSE) process.stderr.write(`coordinator stopped: ${chain(error)}\n`);
    } else {
      throw error;
    }
    // A crashed coordinator never released its lease: the next one waits for it to expire.
    clock.advance(LEASE_TTL_MS + 1000);
    return 1;
  }
}

/** An error and its causes, one line. */
function chain(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    parts.push(`${e.name}: ${e.message.slice(0, 120)}`);
  }
  return parts.join(' <- ') || String(error);
}

function describe(outcome: Outcome): string {
  if (outcome.kind !== 'failed') return outcome.kind;
  return outcome.error instanceof Error
    ? `${outcome.error.name}: ${outcome.error.message}`
    : String(outcome.error);
}

export async function runChaosSeed(seed: number, batches: number): Promise<SeedReport> {
  const started = Date.now();
  const inputs = inputsFor(seed, batches);
  const reference = await runToEnd(inputs, new MemoryStore());
  const random = seededRandom(seed);
  const plan = planFor(batches, random);
  const counts = noFaults();
  const poison = poisoned(inputs, random, plan.poison);
  counts.poisonRecords = poison.count;
  const store = new ExpiringStore(
    new LossyStore(new MemoryStore(), randomLoss(0.1, random), counts),
    expiryRule(plan),
    counts,
  );
  const faulty = await runToEnd(poison.inputs, store, seedFaults(random, plan, counts));
  const { mismatches, lost, duplicated, badBatches } = compareOutputs(
    reference.outputs,
    faulty.outputs,
    batches,
  );
  // Driver code must have seen, for every batch, what it sees without faults.
  let driverMismatches = 0;
  for (let t = 1000; t <= batches * 1000; t += 1000) {
    if (faulty.driver.get(t) !== reference.driver.get(t)) driverMismatches++;
  }
  const found = await poisonDeadLetters(store);
  return {
    seed,
    batches,
    faults: kindsOf(counts, 'embedded'),
    failedCoordinators: faulty.failedCoordinators,
    deadLetters: { injected: poison.count, ...found },
    mismatches: mismatches + driverMismatches + (found.distinct === poison.count ? 0 : 1),
    lost,
    duplicated,
    ...(badBatches.length > 0 ? { badBatches } : {}),
    seconds: Math.round((Date.now() - started) / 100) / 10,
  };
}
