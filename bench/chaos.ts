/**
 * `npm run chaos -- --seeds N --batches B [--path aws]`: runs a windowed, stateful word count with every fault kind
 * on (task failures, stragglers, lost cached data, coordinator crashes at named points), restarts the
 * coordinator whenever it crashes, and compares every batch's sink output with a fault-free reference.
 * Prints one JSON line per seed and a summary line; exits non-zero on any mismatch.
 */
import { parseArgs } from 'node:util';
import {
  type DStream,
  ManualClock,
  MemoryStore,
  type Pair,
  type Store,
  StoreSink,
  StreamingContext,
} from '../src/engine';
import { runTask, type TaskResult, type TaskSpec } from '../src/engine/exec';
import {
  type FaultCounts,
  FaultyInvoker,
  LossyStore,
  randomLoss,
  seededRandom,
} from '../src/engine/io/faults';
import { InProcessInvoker } from '../src/engine/io/in-process-invoker';
import { CoordinatorCrash, type CrashPoint, lastCommittedBatch } from '../src/engine/schedule';
import { canonicalJson } from '../src/engine/util/hash';

const CRASH_POINTS: CrashPoint[] = ['after-manifest', 'mid-fanout', 'before-commit', 'after-commit'];
const LEASE_TTL_MS = 5000;

export interface SeedReport {
  seed: number;
  batches: number;
  faults: FaultCounts & { crashes: number };
  mismatches: number;
  lost: number;
  duplicated: number;
}

export type Row = Pair<string, number> | Pair<string, [string, number]>;

export function inputsFor(seed: number, batches: number): string[][] {
  const random = seededRandom(seed * 7919 + 1);
  const words = ['ant', 'bee', 'cat', 'dog', 'eel', 'fox', 'gnu', 'hen', 'ibis', 'jay'];
  return Array.from({ length: batches }, () =>
    Array.from(
      { length: 5 + Math.floor(random() * 30) },
      () => words[Math.floor(random() * random() * words.length)],
    ),
  );
}

/**
 * The job under test: a 5 s sliding window (incremental) and running totals, both into one sink. With
 * `driverOutputs`, also driver code in foreachBatch (a take and a collect over task-computed partitions),
 * whose result per batch time is kept there: a re-run batch overwrites it with what must be the same.
 */
export function chaosPipeline(
  words: DStream<string>,
  sink: StoreSink<Row>,
  driverOutputs?: Map<number, string>,
): void {
  const pairs = words.map((w): Pair<string, number> => [w, 1]);
  const windowed = pairs
    .reduceByKeyAndWindow((a, b) => a + b, { window: '5s', slide: '1s', inverse: (a, b) => a - b })
    .map(([w, n]): Row => [`window:${w}`, n]);
  const totals = pairs
    .updateStateByKey<string, number, number>((values, total) => (total ?? 0) + values.length)
    .map(([w, n]): Row => [`total:${w}`, n]);
  const both = windowed.union(totals);
  both.writeTo(sink);
  if (driverOutputs) {
    both.foreachBatch(async (rdd, time) => {
      const top = await rdd
        .filter(([key]) => key.startsWith('total:'))
        .map(([key, n]) => `${key}=${n}`)
        .take(4);
      const keys = await rdd.map(([key]) => key).collect();
      driverOutputs.set(time, canonicalJson([top, keys.length]));
    });
  }
}

function defineJob(inputs: string[][], sink: StoreSink<Row>, driver: Map<number, string>): StreamingContext {
  const ssc = new StreamingContext({ batchInterval: '1s', partitions: 3, name: 'chaos' });
  chaosPipeline(ssc.queueStream(inputs), sink, driver);
  return ssc;
}

export async function runToEnd(
  inputs: string[][],
  store: Store,
  options: { seed?: number; counts?: FaultCounts } = {},
) {
  const sink = new StoreSink<Row>('chaos');
  const clock = new ManualClock(0, { autoAdvance: true });
  const random = options.seed === undefined ? undefined : seededRandom(options.seed);
  // One crash somewhere for certain, more at random.
  const forced = random
    ? { batch: 1 + Math.floor(random() * inputs.length), point: CRASH_POINTS[Math.floor(random() * 4)] }
    : undefined;
  let crashes = 0;
  const driver = new Map<number, string>();
  for (let incarnation = 0; ; incarnation++) {
    const committed = (await lastCommittedBatch(store, 0))?.batchTime ?? 0;
    const remaining = inputs.length - committed / 1000;
    if (remaining <= 0) break;
    const ssc = defineJob(inputs, sink, driver);
    const tasks = new InProcessInvoker<TaskSpec, TaskResult>(
      (spec) => runTask(spec, { store, graphFor: () => ssc.graph }),
      4,
    );
    const invoker =
      random && options.counts
        ? new FaultyInvoker(
            tasks,
            { taskFailure: 0.05, straggler: 0.03, stragglerDelayMs: 40 },
            random,
            options.counts,
          )
        : tasks;
    ssc.start({
      store,
      clock,
      invoker,
      zeroTime: 0,
      batches: remaining,
      owner: `coordinator-${incarnation}`,
      leaseTtlMs: LEASE_TTL_MS,
      retry: { maxAttempts: 10, backoffMs: 1, maxBackoffMs: 10 },
      speculation: { minThresholdMs: 15, checkEveryMs: 5 },
      crashAt: random
        ? (point, time) => (time === forced!.batch * 1000 && point === forced!.point) || random() < 0.015
        : undefined,
    });
    try {
      await ssc.awaitTermination();
    } catch (error) {
      if (!(error instanceof CoordinatorCrash)) throw error;
      crashes++;
      if (forced && error.batchTime === forced.batch * 1000) forced.batch = -1;
      // The crashed coordinator never released its lease: the next one waits for it to expire.
      clock.advance(LEASE_TTL_MS + 1000);
    }
  }
  const outputs = new Map<number, Row[]>();
  for (const time of await sink.committedBatches(store))
    outputs.set(time, (await sink.readBatch(store, time)) ?? []);
  return { outputs, crashes, driver };
}

export async function runChaosSeed(seed: number, batches: number): Promise<SeedReport> {
  const inputs = inputsFor(seed, batches);
  const reference = await runToEnd(inputs, new MemoryStore());
  const counts: FaultCounts = { taskFailures: 0, stragglers: 0, lostObjects: 0 };
  const random = seededRandom(seed);
  const store = new LossyStore(new MemoryStore(), randomLoss(0.1, random), counts);
  const faulty = await runToEnd(inputs, store, { seed, counts });
  const { mismatches, lost, duplicated } = compareOutputs(reference.outputs, faulty.outputs, batches);
  // Driver code must have seen, for every batch, what it sees without faults.
  let driverMismatches = 0;
  for (let t = 1000; t <= batches * 1000; t += 1000) {
    if (faulty.driver.get(t) !== reference.driver.get(t)) driverMismatches++;
  }
  return {
    seed,
    batches,
    faults: { ...counts, crashes: faulty.crashes },
    mismatches: mismatches + driverMismatches,
    lost,
    duplicated,
  };
}

/** Per batch time, how the faulty run's sink output differs from the reference's. */
export function compareOutputs(reference: Map<number, Row[]>, faulty: Map<number, Row[]>, batches: number) {
  let mismatches = 0;
  let lost = 0;
  let duplicated = 0;
  for (let t = 1000; t <= batches * 1000; t += 1000) {
    const expected = (reference.get(t) ?? []).map((r) => canonicalJson(r));
    const actual = (faulty.get(t) ?? []).map((r) => canonicalJson(r));
    const diff = multisetDifference(expected, actual);
    lost += diff.missing;
    duplicated += diff.extra;
    if (!faulty.has(t) || diff.missing > 0 || diff.extra > 0) mismatches++;
  }
  return { mismatches, lost, duplicated };
}

function multisetDifference(expected: string[], actual: string[]): { missing: number; extra: number } {
  const counts = new Map<string, number>();
  for (const e of expected) counts.set(e, (counts.get(e) ?? 0) + 1);
  let extra = 0;
  for (const a of actual) {
    const n = counts.get(a) ?? 0;
    if (n === 0) extra++;
    else counts.set(a, n - 1);
  }
  let missing = 0;
  for (const n of counts.values()) missing += n;
  return { missing, extra };
}

async function main() {
  const { values } = parseArgs({
    options: {
      seeds: { type: 'string', default: '20' },
      batches: { type: 'string', default: '60' },
      path: { type: 'string', default: 'embedded' },
    },
  });
  if (values.path !== 'embedded' && values.path !== 'aws') {
    process.stderr.write(`chaos: --path must be 'embedded' or 'aws', got '${values.path}'\n`);
    process.exit(2);
  }
  // The local AWS path (kinesalite, s3rver, Lambda endpoint, restarting endpoints) lives in its own module.
  const runSeed = values.path === 'aws' ? (await import('./chaos-aws')).runAwsChaosSeed : runChaosSeed;
  const seeds = Number(values.seeds);
  const batches = Number(values.batches);
  if (!(Number.isInteger(seeds) && seeds > 0 && Number.isInteger(batches) && batches > 0)) {
    process.stderr.write('chaos: --seeds and --batches must be positive whole numbers\n');
    process.exit(2);
  }
  const total = { seeds, batches, faults: 0, mismatches: 0, lost: 0, duplicated: 0 };
  for (let seed = 1; seed <= seeds; seed++) {
    const report = await runSeed(seed, batches);
    process.stdout.write(`${JSON.stringify(report)}\n`);
    const f = report.faults;
    total.faults +=
      f.taskFailures +
      f.stragglers +
      f.lostObjects +
      f.crashes +
      ((f as { restarts?: number }).restarts ?? 0);
    total.mismatches += report.mismatches;
    total.lost += report.lost;
    total.duplicated += report.duplicated;
  }
  process.stdout.write(`${JSON.stringify(total)}\n`);
  if (total.mismatches > 0 || total.lost > 0 || total.duplicated > 0) process.exitCode = 1;
}

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`${error?.stack ?? error}\n`);
    process.exitCode = 1;
  });
}
