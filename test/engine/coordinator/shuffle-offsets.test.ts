import { ManualClock, MemoryStore, type Pair, readManifest, StreamingContext } from '../../../src/engine';
import { runTask, type TaskResult, type TaskSpec } from '../../../src/engine/exec';
import { headerLength } from '../../../src/engine/exec/codec';
import { InProcessInvoker } from '../../../src/engine/io/in-process-invoker';
import type { InvokeOptions, Invoker } from '../../../src/engine/io/ports';
import type { ShuffleDependency } from '../../../src/engine/plan';
import { batchPrefix } from '../../../src/engine/plan/keys';
import { ShuffleOffsets } from '../../../src/engine/schedule/shuffle-offsets';

/** Just what ShuffleOffsets reads of a dependency: its id, batch time and number of map outputs. */
function dep(id: string, time: number, mapOutputs: number): ShuffleDependency {
  return { id, time, parent: { numPartitions: mapOutputs } } as unknown as ShuffleDependency;
}

describe('ShuffleOffsets', () => {
  it('knows nothing of a shuffle never recorded', () => {
    const offsets = new ShuffleOffsets();
    expect(offsets.get('s1.0@1000~0')).toBeUndefined();
    expect(offsets.all()).toEqual({});
  });

  it('returns undefined until every map output of the shuffle is recorded, then all of them in map order', () => {
    const offsets = new ShuffleOffsets();
    const shuffle = dep('a', 1000, 3);
    offsets.record(shuffle, [2], [[20, 30, 40]]);
    expect(offsets.get('a')).toBeUndefined();
    offsets.record(shuffle, [0], [[20, 21, 22]]);
    expect(offsets.get('a')).toBeUndefined();
    offsets.record(shuffle, [1], [[20, 25, 29]]);
    expect(offsets.get('a')).toEqual([
      [20, 21, 22],
      [20, 25, 29],
      [20, 30, 40],
    ]);
  });

  it('records the outputs of a run of several map tasks by their partitions, not by their order in the run', () => {
    const offsets = new ShuffleOffsets();
    offsets.record(
      dep('a', 1000, 2),
      [1, 0],
      [
        [20, 99],
        [20, 50],
      ],
    );
    expect(offsets.get('a')).toEqual([
      [20, 50],
      [20, 99],
    ]);
  });

  it('replaces the offsets of map outputs that were re-run and keeps the others', () => {
    const offsets = new ShuffleOffsets();
    const shuffle = dep('a', 1000, 3);
    offsets.record(
      shuffle,
      [0, 1, 2],
      [
        [20, 21],
        [20, 22],
        [20, 23],
      ],
    );
    offsets.record(shuffle, [1], [[20, 77]]);
    expect(offsets.get('a')).toEqual([
      [20, 21],
      [20, 77],
      [20, 23],
    ]);
  });

  it('keeps shuffles apart by id', () => {
    const offsets = new ShuffleOffsets();
    offsets.record(dep('a', 1000, 1), [0], [[20, 21]]);
    offsets.record(dep('b', 1000, 1), [0], [[20, 40]]);
    expect(offsets.get('a')).toEqual([[20, 21]]);
    expect(offsets.get('b')).toEqual([[20, 40]]);
  });

  it('lists in all() only the shuffles whose map outputs are all known', () => {
    const offsets = new ShuffleOffsets();
    offsets.record(
      dep('complete', 1000, 2),
      [0, 1],
      [
        [20, 21],
        [20, 22],
      ],
    );
    offsets.record(dep('partial', 1000, 2), [1], [[20, 23]]);
    expect(offsets.all()).toEqual({
      complete: [
        [20, 21],
        [20, 22],
      ],
    });
  });

  it('forgets the shuffles of batches before a time, and only those', () => {
    const offsets = new ShuffleOffsets();
    offsets.record(dep('t1', 1000, 1), [0], [[20, 21]]);
    offsets.record(dep('t2', 2000, 1), [0], [[20, 22]]);
    offsets.record(dep('t3', 3000, 1), [0], [[20, 23]]);
    offsets.forgetBefore(2000);
    expect(offsets.get('t1')).toBeUndefined();
    expect(Object.keys(offsets.all()).sort()).toEqual(['t2', 't3']);
    // A forgotten shuffle recorded again starts afresh: incomplete until all its outputs are known.
    offsets.record(dep('t1', 1000, 2), [0], [[20, 24]]);
    expect(offsets.get('t1')).toBeUndefined();
  });
});

/** A memory store that records every ranged read. */
class RangeRecordingStore extends MemoryStore {
  ranges: { key: string; start: number; end: number }[] = [];

  override async getRange(key: string, start: number, end: number): Promise<Uint8Array | undefined> {
    this.ranges.push({ key, start, end });
    return super.getRange(key, start, end);
  }
}

/** The in-process invoker, recording the specs it is sent. */
class RecordingInvoker implements Invoker<TaskSpec, TaskResult> {
  specs: TaskSpec[] = [];
  private readonly inner: InProcessInvoker<TaskSpec, TaskResult>;

  constructor(run: (spec: TaskSpec) => Promise<TaskResult>) {
    this.inner = new InProcessInvoker(run, 2);
  }

  get parallelism(): number {
    return this.inner.parallelism;
  }

  invoke(spec: TaskSpec, options?: InvokeOptions): Promise<TaskResult> {
    this.specs.push(spec);
    return this.inner.invoke(spec, options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

const PARTITIONS = 2;
const inputs = Array.from({ length: 20 }, (_, i) => [`k${i % 5}`, `k${(i * 3) % 7}`, 'x', `k${i % 2}`]);

/** A running count per key (updateStateByKey), driven batch by batch on a manual clock. */
function statefulJob() {
  const store = new RangeRecordingStore();
  const ssc = new StreamingContext({ batchInterval: 1000, partitions: PARTITIONS, name: 'offsets' });
  const outputs = new Map<number, Pair<string, number>[]>();
  ssc
    .queueStream(inputs)
    .map((w): Pair<string, number> => [w, 1])
    .updateStateByKey<string, number, number>((values, state) => (state ?? 0) + values.length)
    .foreachBatch(async (rdd, time) => {
      outputs.set(time, (await rdd.collect()).sort());
    });
  const invoker = new RecordingInvoker((spec) => runTask(spec, { store, graphFor: () => ssc.graph }));
  ssc.start({
    store,
    invoker,
    clock: new ManualClock(0, { autoAdvance: true }),
    zeroTime: 0,
    batches: 0,
    retry: { backoffMs: 0 },
  });
  return {
    store,
    invoker,
    outputs,
    /** The coordinator's cache of shuffle offsets (private: read for the test's bookkeeping only). */
    knownOffsets: () =>
      (ssc.coordinator as unknown as { shuffleOffsets: ShuffleOffsets }).shuffleOffsets.all(),
    async run(batches: number) {
      await ssc.awaitTermination();
      await ssc.coordinator!.run({ batches });
    },
  };
}

/**
 * The shuffle id of a shuffle file key `batches/<time>/shuffle/<node key>~<index>[.<layout>]/<map>`:
 * shuffle ids are `<node key>@<time>~<index>` (see plan/scope.ts and plan/nodes/shuffled-node.ts).
 */
function shuffleIdOf(key: string): string {
  const match = /^batches\/(\d{15})\/shuffle\/(.+)~(\d+)(?:\.[a-z]+)?\/\d+$/.exec(key);
  if (!match) throw new Error(`not a shuffle file key: ${key}`);
  return `${match[2]}@${Number(match[1])}~${match[3]}`;
}

const isShuffleFile = (key: string) => key.includes('/shuffle/');
/** A read of a shuffle file's header: from byte 0, exactly the header (segments start after it). */
const headerReads = (ranges: RangeRecordingStore['ranges']) =>
  ranges.filter((r) => isShuffleFile(r.key) && r.start === 0 && r.end === headerLength(PARTITIONS));

/**
 * Runs 15 batches (state checkpointed at 10 s), loses the state cached for 11..15 and one map output of
 * batch 13's shuffle, then runs batch 16, which recomputes the state chain 11..15 from the checkpoint.
 */
async function lossyRun() {
  const job = statefulJob();
  await job.run(15);
  const batch13 = batchPrefix(13_000);
  const all = (await job.store.list('batches/')).map((e) => e.key);
  const lostState = all.filter((key) => key.includes('/stored/') && Number(key.split('/')[1]) > 10_000);
  const shuffle13 = all.filter((key) => key.startsWith(batch13) && isShuffleFile(key));
  expect(lostState.length).toBe(5 * PARTITIONS);
  expect(shuffle13.length).toBe(PARTITIONS);
  const lostShuffle = shuffle13[0];
  await job.store.delete([...lostState, lostShuffle]);

  const knownBefore = job.knownOffsets();
  const shufflesOfChain = [
    ...new Set(
      all
        .filter((key) => isShuffleFile(key) && Number(key.split('/')[1]) > 10_000)
        .map((key) => shuffleIdOf(key)),
    ),
  ];
  job.store.ranges = [];
  job.invoker.specs = [];
  await job.run(1);
  const recovery = { ranges: [...job.store.ranges], specs: [...job.invoker.specs] };
  await job.run(4);
  return { job, recovery, knownBefore, shufflesOfChain, shuffle13: shuffleIdOf(lostShuffle) };
}

describe('shuffle offsets kept by the coordinator across batches', () => {
  it('recomputes lost state with the same output as a run without loss, reading no header of a re-run shuffle', async () => {
    const clean = statefulJob();
    await clean.run(20);
    const { job, recovery, knownBefore, shufflesOfChain, shuffle13 } = await lossyRun();

    for (let batch = 1; batch <= 20; batch++) {
      expect(job.outputs.get(batch * 1000)).toEqual(clean.outputs.get(batch * 1000));
    }
    // The coordinator had every map output's offsets of the chain's shuffles before the loss.
    expect(shufflesOfChain).toHaveLength(5);
    expect(Object.keys(knownBefore)).toEqual(expect.arrayContaining(shufflesOfChain));

    // Batch 16 noticed the loss and re-ran the lost map output of batch 13.
    const manifest = await readManifest(job.store, 16_000);
    expect(manifest?.recovery?.lost.some((what) => what.includes('updateStateByKey'))).toBe(true);
    expect(manifest?.stages).toContainEqual(
      expect.objectContaining({ kind: 'shuffleMap', partitions: 1, recovery: true }),
    );
    // The reducers of batch 16 were given batch 13's offsets (the re-run output's replacing the old)...
    const reducers = recovery.specs.filter((s) => s.kind !== 'shuffleMap');
    expect(reducers.length).toBeGreaterThan(0);
    for (const spec of reducers) {
      expect(spec.shuffleOffsets?.[shuffle13]).toEqual(knownBefore[shuffle13]);
    }
    // ...so no header of batch 13's shuffle files, nor of this batch's own shuffle, was read.
    const headersRead = headerReads(recovery.ranges).map((r) => shuffleIdOf(r.key));
    expect(headersRead).not.toContain(shuffle13);
    expect(headersRead.filter((id) => id.includes('@16000~'))).toEqual([]);
  });

  it('reads no shuffle header in steady state: every reducer gets the offsets of the shuffles it reads', async () => {
    const job = statefulJob();
    await job.run(12);
    expect(headerReads(job.store.ranges)).toEqual([]);
    expect(job.store.ranges.filter((r) => isShuffleFile(r.key)).length).toBeGreaterThan(0);
  });

  it('forgets the offsets of shuffles whose files were garbage-collected', async () => {
    const job = statefulJob();
    await job.run(20);
    const present = new Set(
      (await job.store.list('batches/')).filter((e) => isShuffleFile(e.key)).map((e) => shuffleIdOf(e.key)),
    );
    const known = Object.keys(job.knownOffsets());
    expect(known.length).toBeGreaterThan(0);
    // Batches before the state's last checkpoint are collected, and their offsets go with them.
    expect(Math.min(...[...present].map((id) => Number(id.split('@')[1].split('~')[0])))).toBeGreaterThan(
      1000,
    );
    expect(known.filter((id) => !present.has(id))).toEqual([]);
  });

  // Shuffles of earlier batches whose files all survived are no stage of the recovery batch, but the
  // reducers recomputing a lost chain read them: their offsets must travel too.
  it('reads no header, when recomputing lost state, of any shuffle whose offsets the coordinator had', async () => {
    const { recovery, knownBefore } = await lossyRun();
    const headersRead = headerReads(recovery.ranges).map((r) => shuffleIdOf(r.key));
    expect(headersRead.filter((id) => id in knownBefore)).toEqual([]);
  });
});
