import { StoreSink, StreamingContext } from '../../src/engine/api';
import { readManifest } from '../../src/engine/catalog';
import { runTask, type TaskSpec } from '../../src/engine/exec';
import { MemoryStore } from '../../src/engine/io/memory-store';
import type { Store } from '../../src/engine/io/ports';
import type { Pair } from '../../src/engine/plan';
import {
  type BatchInfo,
  Coordinator,
  type CoordinatorOptions,
  DEFAULT_EXCHANGE,
} from '../../src/engine/schedule';
import { type Failure, loseNode } from './failures';
import {
  distinctKeys,
  LAMBDA_VCPU_SPEED_VS_HERE,
  MAP_CPU_NS_PER_RECORD,
  REDUCE_CPU_NS_PER_ROW,
  TASK_FIXED_CPU_MS,
  VOCABULARY,
  WORDS_PER_RECORD,
} from './model';
import { SeededRandom } from './random';
import { type LambdaCounts, SimInvoker } from './sim-invoker';
import { SimKinesisSource } from './sim-kinesis';
import { type S3Counts, S3Model, SimStore } from './sim-store';
import { VirtualClock } from './virtual-clock';

export interface ScenarioOptions {
  shards: number;
  /** Lambda concurrency available to the tasks. */
  concurrency: number;
  recordsPerSecond: number;
  /** Reduce (and state) partitions; default a quarter of the shards, at least one. */
  reducers?: number;
  batches: number;
  batchMs?: number;
  seed?: number;
  /** Add the coordinator's real CPU time to simulated time (default true). */
  chargeCpu?: boolean;
  /** Records generated per shard and batch for the real task code (default 8). */
  samplePerShard?: number;
  /** A failure injected after a batch commits (see failures.ts). */
  failure?: Failure;
  /** Kinesis shards read by each map task (default 1: one task per shard). */
  shardsPerPartition?: number;
  /** Overrides the calibrated task CPU model (calibration runs use the sample itself). */
  taskCpuMs?: (records: number) => number;
}

export interface BatchFigures {
  batchTime: number;
  records: number;
  tasks: number;
  processingMs: number;
  /** How long after its tick the batch started (earlier batches still running). */
  schedulingDelayMs: number;
  /** When the batch committed, on the simulated clock. */
  finishedAt: number;
  coordinatorCpuMs: number;
  s3: S3Counts;
  lambda: LambdaCounts;
}

/** What a batch recomputed of earlier batches, from its manifest. */
export interface RecoveryFigures {
  batchTime: number;
  lost: string[];
  recoveryStages: number;
  /** Real, not simulated, time until DataPlane hands its runner the coordinator's clock. */
  recoveryMs: number;
}

export interface ScenarioResult {
  batches: BatchFigures[];
  reducers: number;
  /** Held partitions and map outputs a node failure let go (0 for other failures). */
  lostHeld: number;
  /** Batches that recomputed lost data, as their manifests record it. */
  recoveries: RecoveryFigures[];
  invoker: SimInvoker;
  /** The job's store, under the S3 model: manifests, checkpoints, sink output. */
  store: Store;
}

/**
 * The demo job (words counted per batch, running totals as state checkpointed every 10 s, totals
 * written to a store sink) run by the real coordinator, planner and task code on the simulated AWS.
 */
export async function runScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const batchMs = options.batchMs ?? 1000;
  const reducers = options.reducers ?? Math.max(1, Math.round(options.shards / 4));
  const random = new SeededRandom(options.seed ?? 1);
  const clock = new VirtualClock(0, options.chargeCpu ?? true);
  const memory = new MemoryStore();
  const store = new SimStore(memory, new S3Model(random), clock);
  const samplePerShard = options.samplePerShard ?? 8;
  const source = new SimKinesisSource({
    shards: options.shards,
    recordsPerSecond: options.recordsPerSecond,
    samplePerShard,
    shardsPerPartition: options.shardsPerPartition,
  });
  const perShard = (options.recordsPerSecond * batchMs) / 1000 / options.shards;
  const ssc = new StreamingContext({
    batchInterval: batchMs,
    partitions: reducers,
    name: 'sim',
    log: () => {},
  });
  ssc
    .inputStream(source, { partitions: options.shards, name: 'events' })
    .flatMap((line) => line.split(' '))
    .map((word): Pair<string, number> => [word, 1])
    .reduceByKey((a, b) => a + b)
    .updateStateByKey<string, number, number>((counts, total) => counts.reduce((a, b) => a + b, total ?? 0))
    .checkpoint('10s')
    .writeTo(new StoreSink('totals'));

  const scale = Math.max(1, perShard / samplePerShard);
  const rowsPerReducer = (options.shards * distinctKeys(perShard * WORDS_PER_RECORD) + VOCABULARY) / reducers;
  const invoker = new SimInvoker({
    clock,
    random,
    store,
    source,
    concurrency: options.concurrency,
    scale,
    run: (spec: TaskSpec, taskStore: Store) => runTask(spec, { store: taskStore, graphFor: () => ssc.graph }),
    cpuMs: (tally) =>
      options.taskCpuMs
        ? options.taskCpuMs(tally.records)
        : (TASK_FIXED_CPU_MS +
            (tally.shardReads > 0
              ? (tally.records * MAP_CPU_NS_PER_RECORD) / 1e6
              : (rowsPerReducer * REDUCE_CPU_NS_PER_ROW) / 1e6)) /
          LAMBDA_VCPU_SPEED_VS_HERE,
  });

  const batches: BatchFigures[] = [];
  const { failure } = options;
  let lostHeld = 0;
  let before = snapshot(clock, store, invoker);
  const onBatch = (info: BatchInfo) => {
    const now = snapshot(clock, store, invoker);
    batches.push({
      batchTime: info.batchTime,
      records: info.records,
      tasks: info.tasks,
      processingMs: info.processingMs,
      schedulingDelayMs: info.schedulingDelayMs,
      finishedAt: clock.now(),
      coordinatorCpuMs: now.cpuMs - before.cpuMs,
      s3: difference(now.s3, before.s3),
      lambda: difference(now.lambda, before.lambda),
    });
    before = now;
    if (failure?.kind === 'node' && info.batchTime === failure.afterBatch * batchMs) {
      lostHeld = loseNode(ssc.coordinator!, failure.workers);
    }
  };
  const settings: Omit<CoordinatorOptions, 'graph' | 'job'> = {
    store,
    clock,
    invoker,
    onBatch,
    // Speculation and task-retry backoff wait on real timers until DataPlane hands its runner the
    // coordinator's clock (docs/SCALING.md, "Engine seams found"): off here.
    speculation: { enabled: false },
    retry: { backoffMs: 0 },
    // Payload limits at simulated size: sampled bytes stand for `scale` times as many (base64 in JSON).
    exchange: {
      inlineBytes: Math.floor(DEFAULT_EXCHANGE.inlineBytes / (scale * 1.37)),
      maxRequestBytes: Math.floor(DEFAULT_EXCHANGE.maxRequestBytes / (scale * 1.37)),
    },
  };
  const lostCoordinatorAfter = failure?.kind === 'coordinator' ? failure.afterBatch : undefined;
  ssc.start({ ...settings, zeroTime: 0, batches: lostCoordinatorAfter ?? options.batches });
  await clock.drive(ssc.awaitTermination());
  if (lostCoordinatorAfter !== undefined) {
    // A new coordinator process: the same job code and store, nothing held. (The old one stopped cleanly
    // and released its lease; a crashed one's lease would first have to expire, see docs/SCALING.md.)
    const successor = new Coordinator({ ...settings, job: 'sim', graph: ssc.graph });
    await clock.drive(successor.run({ batches: options.batches - lostCoordinatorAfter }));
  }
  await invoker.close();
  const recoveries = failure
    ? await recoveriesAfter(memory, failure.afterBatch, options.batches, batchMs)
    : [];
  return { batches, reducers, lostHeld, recoveries, invoker, store: memory };
}

async function recoveriesAfter(store: Store, after: number, last: number, batchMs: number) {
  const found: RecoveryFigures[] = [];
  for (let batch = after + 1; batch <= last; batch++) {
    const recovery = (await readManifest(store, batch * batchMs))?.recovery;
    if (recovery) found.push({ batchTime: batch * batchMs, ...recovery });
  }
  return found;
}

function snapshot(clock: VirtualClock, store: SimStore, invoker: SimInvoker) {
  return { cpuMs: clock.cpuMs, s3: { ...store.model.counts }, lambda: { ...invoker.counts } };
}

function difference<T extends object>(after: T, before: T): T {
  const out = {} as Record<string, number>;
  for (const [key, value] of Object.entries(after)) {
    // A maximum is not a count: keep it as it is.
    out[key] = key.startsWith('largest')
      ? value
      : (value as number) - (before as Record<string, number>)[key];
  }
  return out as T;
}
