import fc from 'fast-check';
import { StoreSink, StreamingContext } from '../../../src/engine/api';
import { decodeRows } from '../../../src/engine/exec';
import { MemoryStore } from '../../../src/engine/io/memory-store';
import type { Pair } from '../../../src/engine/plan';
import { type BatchManifest, readManifest } from '../../../src/engine/schedule';
import { batchTimesWithData, listManifests, runContext } from './helpers';

type WordCount = Pair<string, number>;

/** Two queue inputs (2 and 3 partitions), unioned, word-counted into 3 partitions, collected. */
function wordCountJob(a: string[][], b: string[][]) {
  const ssc = new StreamingContext({ batchInterval: 1000, partitions: 2, name: 'wc' });
  const outputs = new Map<number, WordCount[]>();
  const left = ssc.queueStream(a, { name: 'left', partitions: 2 });
  const right = ssc.queueStream(b, { name: 'right', partitions: 3 });
  left
    .union(right)
    .map((w) => [w, 1] as WordCount)
    .reduceByKey((x, y) => x + y, 3)
    .foreachBatch(async (rdd, time) => {
      outputs.set(time, await rdd.collect());
    });
  return { ssc, outputs };
}

describe('batch manifests', () => {
  it('commits a manifest per batch describing inputs, outputs, lineage, stages and timing', async () => {
    const { ssc, outputs } = wordCountJob(
      [
        ['a', 'b', 'a', 'c', 'b'],
        ['x', 'y'],
      ],
      [['a', 'd', 'e', 'f'], []],
    );
    const { store, infos, error } = await runContext(ssc, { batches: 2 });
    expect(error).toBeUndefined();
    expect([...outputs.keys()]).toEqual([1000, 2000]);

    const manifest = (await readManifest(store, 1000))!;
    expect(manifest).toMatchObject({
      version: 1,
      job: 'wc',
      batchTime: 1000,
      zeroTime: 0,
      batchMs: 1000,
      status: 'committed',
    });
    expect(manifest.error).toBeUndefined();

    // Inputs: one entry per stream, contiguous blocks, counts adding up.
    expect(manifest.inputs).toEqual([
      {
        stream: 0,
        name: 'left',
        direct: false,
        records: 5,
        ranges: [{ shard: 'left', first: '0:0', last: '0:5', count: 5 }],
        blocks: [
          { key: 'batches/000000000001000/input/s0/0', records: 3 },
          { key: 'batches/000000000001000/input/s0/1', records: 2 },
        ],
      },
      {
        stream: 1,
        name: 'right',
        direct: false,
        records: 4,
        ranges: [{ shard: 'right', first: '0:0', last: '0:4', count: 4 }],
        blocks: [
          { key: 'batches/000000000001000/input/s1/0', records: 2 },
          { key: 'batches/000000000001000/input/s1/1', records: 2 },
          { key: 'batches/000000000001000/input/s1/2', records: 0 },
        ],
      },
    ]);

    // Outputs and lineage.
    expect(manifest.outputs).toEqual([
      { index: 0, operator: 'foreachBatch', node: expect.any(String), partitions: 3 },
    ]);
    const operators = manifest.rdds.map((r) => r.operator);
    expect(operators).toEqual(expect.arrayContaining(['input', 'union', 'map', 'reduceByKey']));
    expect(operators.filter((o) => o === 'input')).toHaveLength(2);
    const reduce = manifest.rdds.find((r) => r.operator === 'reduceByKey')!;
    expect(reduce).toMatchObject({ id: manifest.outputs[0].node, partitions: 3 });
    expect(manifest.rdds.find((r) => r.operator === 'union')?.partitions).toBe(5);
    expect(new Set(manifest.rdds.map((r) => r.id)).size).toBe(manifest.rdds.length);
    expect(manifest.rdds.every((r) => r.id.endsWith('@1000'))).toBe(true);

    // Stages: the shuffle-map side over the 5 union partitions, then the 3 reduce partitions.
    expect(manifest.stages.map((s) => [s.kind, s.operator, s.partitions, s.location])).toEqual([
      ['shuffleMap', 'reduceByKey', 5, 'tasks'],
      ['result', 'reduceByKey', 3, 'tasks'],
    ]);
    for (const stage of manifest.stages) {
      expect(stage.attempts).toBeGreaterThanOrEqual(stage.partitions);
      expect(stage.durationMs).toBeGreaterThanOrEqual(0);
    }
    expect(manifest.stages[0].rows).toBe(9);
    expect(manifest.stages[1].rows).toBe(6); // a b c d e f
    expect(manifest.stages[1].node).toBe(manifest.outputs[0].node);

    // Timing.
    expect(manifest.timing.scheduledAt).toBe(1000);
    expect(manifest.timing.schedulingDelayMs).toBe(0);
    expect(typeof manifest.timing.startedAt).toBe('number');
    expect(manifest.timing.finishedAt).toBeGreaterThanOrEqual(manifest.timing.startedAt);
    expect(manifest.timing.processingMs).toBe(manifest.timing.finishedAt! - manifest.timing.startedAt);

    // What onBatch reported agrees with the manifest.
    expect(infos[0]).toMatchObject({ batchTime: 1000, records: 9, stages: 2, tasks: 8 });
    expect(infos[1]).toMatchObject({ batchTime: 2000, records: 2 });
  });

  it('the retained batch input blocks hold the batch records, in order', async () => {
    const { ssc } = wordCountJob([[], ['p', 'q', 'r', 's', 't']], [[], ['u']]);
    const { store } = await runContext(ssc, { batches: 2 });
    const manifest = (await readManifest(store, 2000))!;
    const left = manifest.inputs[0];
    const rows: unknown[] = [];
    for (const block of left.blocks) {
      const decoded = decodeRows((await store.get(block.key))!, block.key);
      expect(decoded).toHaveLength(block.records);
      rows.push(...decoded);
    }
    expect(rows).toEqual(['p', 'q', 'r', 's', 't']);
  });

  it('block record counts add up to the batch records for any batch size and partition count', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat({ max: 40 }), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 6 }),
        async (sizes, partitions) => {
          const ssc = new StreamingContext({ batchInterval: 1000, partitions, name: 'p' });
          ssc
            .queueStream(sizes.map((n) => Array.from({ length: n }, (_, i) => i)))
            .foreachBatch(() => undefined);
          const { store, error } = await runContext(ssc, { batches: sizes.length });
          expect(error).toBeUndefined();
          const manifests = await listManifests(store);
          expect(manifests).toHaveLength(sizes.length);
          manifests.forEach((m, i) => {
            const [input] = m.inputs;
            expect(input.records).toBe(sizes[i]);
            expect(input.blocks).toHaveLength(partitions);
            expect(input.blocks.reduce((sum, b) => sum + b.records, 0)).toBe(sizes[i]);
            expect(input.ranges.reduce((sum, r) => sum + r.count, 0)).toBe(sizes[i]);
          });
        },
      ),
      { numRuns: 25 },
    );
  });

  it('records a directly read generator input by ranges per partition, without blocks', async () => {
    const ssc = new StreamingContext({ batchInterval: 1000, partitions: 3, name: 'gen' });
    const counts: number[] = [];
    ssc
      .generatorStream({ ratePerSecond: 10, generate: (i) => i, name: 'numbers' })
      .foreachBatch(async (rdd) => {
        counts.push((await rdd.collect()).length);
      });
    const { store } = await runContext(ssc, { batches: 2 });
    const [input] = (await readManifest(store, 2000))!.inputs;
    expect(input).toMatchObject({ stream: 0, name: 'numbers', direct: true, records: 10, blocks: [] });
    expect(input.ranges.map((r) => [r.first, r.last, r.count])).toEqual([
      ['10', '13', 4],
      ['14', '17', 4],
      ['18', '19', 2],
    ]);
    expect(counts).toEqual([10, 10]);
    expect(await store.list('batches/000000000002000/input/')).toEqual([]);
  });

  it('commits a manifest with zero records for an empty batch', async () => {
    const { ssc, outputs } = wordCountJob([[]], [[]]);
    const { store } = await runContext(ssc, { batches: 1 });
    const manifest = (await readManifest(store, 1000))!;
    expect(manifest.status).toBe('committed');
    expect(manifest.inputs.map((i) => i.records)).toEqual([0, 0]);
    expect(manifest.inputs.flatMap((i) => i.blocks.map((b) => b.records))).toEqual([0, 0, 0, 0, 0]);
    expect(outputs.get(1000)).toEqual([]);
  });

  it('writes the manifest as running, with its inputs, before the outputs run', async () => {
    const store = new MemoryStore();
    const seen: (BatchManifest | undefined)[] = [];
    const ssc = new StreamingContext({ batchInterval: 1000, partitions: 2, name: 'r' });
    ssc.queueStream([[1, 2, 3]]).foreachBatch(async (_rdd, time) => {
      seen.push(await readManifest(store, time));
    });
    await runContext(ssc, { batches: 1, store });
    expect(seen[0]?.status).toBe('running');
    expect(seen[0]?.inputs[0].records).toBe(3);
    expect((await readManifest(store, 1000))?.status).toBe('committed');
  });

  it('records stages of lineage built inside foreachBatch as run on the coordinator', async () => {
    const ssc = new StreamingContext({ batchInterval: 1000, partitions: 2, name: 'd' });
    let counted: WordCount[] = [];
    ssc.queueStream([['a', 'b', 'a']]).foreachBatch(async (rdd) => {
      counted = await rdd
        .map((w) => [w, 1] as WordCount)
        .reduceByKey((x, y) => x + y)
        .collect();
    });
    const { store } = await runContext(ssc, { batches: 1 });
    expect([...counted].sort()).toEqual([
      ['a', 2],
      ['b', 1],
    ]);
    // The input is read here directly: copying it through tasks would only add a write and a read.
    const stages = (await readManifest(store, 1000))!.stages;
    expect(stages.map((s) => [s.kind, s.location])).toEqual([
      ['shuffleMap', 'coordinator'],
      ['result', 'coordinator'],
    ]);
  });

  it('runs the stream operators under driver code as tasks, and only the driver part on the coordinator', async () => {
    const ssc = new StreamingContext({ batchInterval: 1000, partitions: 2, name: 'offload' });
    const seen: string[][] = [];
    ssc
      .queueStream([['a b', 'c'], ['d e f']])
      .flatMap((line) => line.split(' '))
      .foreachBatch(async (rdd) => {
        seen.push(await rdd.map((w) => w.toUpperCase()).collect());
      });
    const { store, error } = await runContext(ssc, { batches: 2 });
    expect(error).toBeUndefined();
    expect(seen).toEqual([
      ['A', 'B', 'C'],
      ['D', 'E', 'F'],
    ]);
    const stages = (await readManifest(store, 1000))!.stages;
    expect(stages.map((s) => [s.kind, s.operator, s.location])).toEqual([
      ['result', 'flatMap', 'tasks'],
      ['result', 'map', 'coordinator'],
    ]);
  });

  it("has tasks compute and save this batch's state when driver code reads the state stream", async () => {
    const ssc = new StreamingContext({ batchInterval: 1000, partitions: 2, name: 'offload-state' });
    const seen: WordCount[][] = [];
    ssc
      .queueStream([['a', 'b', 'a'], ['b']])
      .map((w) => [w, 1] as WordCount)
      .updateStateByKey<string, number, number>((values, total) => (total ?? 0) + values.length)
      .foreachBatch(async (rdd) => {
        seen.push((await rdd.filter(([, n]) => n > 1).collect()).sort());
      });
    const { store, error } = await runContext(ssc, { batches: 2 });
    expect(error).toBeUndefined();
    expect(seen).toEqual([
      [['a', 2]],
      [
        ['a', 2],
        ['b', 2],
      ],
    ]);
    for (const time of [1000, 2000]) {
      const stages = (await readManifest(store, time))!.stages;
      const state = stages.find((s) => s.kind === 'materialize');
      expect(state).toMatchObject({ operator: 'updateStateByKey', location: 'tasks' });
      expect(stages.at(-1)).toMatchObject({ kind: 'result', location: 'coordinator' });
      // Nothing of the state update ran on the coordinator.
      expect(stages.filter((s) => s.location === 'coordinator').map((s) => s.operator)).toEqual(['filter']);
    }
  });
});

describe('driver code over task-computed partitions', () => {
  it('gives driver code its own rows: changing them in one branch does not show in another', async () => {
    const ssc = new StreamingContext({ batchInterval: 1000, partitions: 2, name: 'own-rows' });
    let seen: { n: number }[] = [];
    ssc
      .queueStream([[1, 2]])
      .map((x) => ({ n: x }))
      .foreachBatch(async (rdd) => {
        const changed = rdd.map((o) => {
          o.n = 99;
          return o;
        });
        seen = await rdd.union(changed).collect();
      });
    const { error } = await runContext(ssc, { batches: 1 });
    expect(error).toBeUndefined();
    expect(seen.map((o) => o.n)).toEqual([1, 2, 99, 99]);
  });

  it('computes the stream operators under take() once, however many rounds take() needs', async () => {
    const ssc = new StreamingContext({ batchInterval: 1000, partitions: 16, name: 'take-once' });
    const input = Array.from({ length: 200 }, (_, i) => i);
    let mapCalls = 0;
    let taken: number[] = [];
    ssc
      .queueStream([input])
      .map((x) => {
        mapCalls++;
        return x;
      })
      .foreachBatch(async (rdd) => {
        // Only the last partition holds a match: take() needs rounds of 1, 4 and 11 partitions.
        taken = await rdd.filter((x) => x === 199).take(1);
      });
    const { store, error } = await runContext(ssc, { batches: 1 });
    expect(error).toBeUndefined();
    expect(taken).toEqual([199]);
    expect(mapCalls).toBe(input.length);
    const stages = (await readManifest(store, 1000))!.stages;
    expect(stages.filter((s) => s.location === 'tasks').map((s) => [s.operator, s.partitions])).toEqual([
      ['map', 16],
    ]);
    expect(stages.filter((s) => s.location === 'coordinator').map((s) => s.partitions)).toEqual([1, 4, 11]);
  });

  it('runs two actions planned at the same time over a two-shuffle lineage in the right order', async () => {
    const ssc = new StreamingContext({ batchInterval: 1000, partitions: 2, name: 'concurrent-plans' });
    let seen: [WordCount[], WordCount[]] = [[], []];
    ssc
      .queueStream([['a', 'b', 'a', 'c']])
      .map((w): WordCount => [w, 1])
      .reduceByKey((x, y) => x + y, 3)
      .map(([w, n]): WordCount => [`${w}${n}`, n])
      .reduceByKey((x, y) => x + y, 2)
      .foreachBatch(async (rdd) => {
        const both = await Promise.all([
          rdd.map(([w, n]): WordCount => [w, n * 10]).collect(),
          rdd.map(([w, n]): WordCount => [w.toUpperCase(), n]).collect(),
        ]);
        seen = [both[0].sort(), both[1].sort()];
      });
    const { error } = await runContext(ssc, { batches: 1 });
    expect(error).toBeUndefined();
    expect(seen).toEqual([
      [
        ['a2', 20],
        ['b1', 10],
        ['c1', 10],
      ],
      [
        ['A2', 2],
        ['B1', 1],
        ['C1', 1],
      ],
    ]);
  });

  it("has tasks save this batch's window slice when driver code reads a window", async () => {
    const ssc = new StreamingContext({ batchInterval: 1000, partitions: 2, name: 'window-driver' });
    const seen: number[][] = [];
    ssc
      .queueStream([[1, 2], [3], [4, 5]])
      .map((x) => x * 10)
      .window({ window: '2s' })
      .foreachBatch(async (rdd) => {
        seen.push((await rdd.map((x) => x + 1).collect()).sort((a, b) => a - b));
      });
    const { store, error } = await runContext(ssc, { batches: 3 });
    expect(error).toBeUndefined();
    expect(seen).toEqual([
      [11, 21],
      [11, 21, 31],
      [31, 41, 51],
    ]);
    for (const time of [1000, 2000, 3000]) {
      const stages = (await readManifest(store, time))!.stages;
      expect(stages.filter((s) => s.location === 'tasks').map((s) => [s.kind, s.operator])).toEqual([
        ['materialize', 'map'],
      ]);
    }
  });
});

describe('shared shuffles', () => {
  it('a second output on the same reduced stream does not run its shuffle-map stage again in a batch', async () => {
    let mapCalls = 0;
    const ssc = new StreamingContext({ batchInterval: 1000, partitions: 2, name: 'shared' });
    const counts = ssc
      .queueStream([['a', 'b', 'a', 'c'], ['b']])
      .map((w) => {
        mapCalls++;
        return [w, 1] as WordCount;
      })
      .reduceByKey((x, y) => x + y);
    const first = new Map<number, WordCount[]>();
    const second = new Map<number, number>();
    counts.foreachBatch(async (rdd, time) => {
      first.set(time, await rdd.collect());
    });
    counts.foreachBatch(async (rdd, time) => {
      second.set(time, (await rdd.collect()).length);
    });
    const { store, error } = await runContext(ssc, { batches: 2 });
    expect(error).toBeUndefined();
    expect([...first.get(1000)!].sort()).toEqual([
      ['a', 2],
      ['b', 1],
      ['c', 1],
    ]);
    expect(second.get(1000)).toBe(3);
    expect(second.get(2000)).toBe(1);
    for (const time of [1000, 2000]) {
      const manifest = (await readManifest(store, time))!;
      expect(manifest.outputs).toHaveLength(2);
      expect(manifest.stages.filter((s) => s.kind === 'shuffleMap')).toHaveLength(1);
      expect(manifest.stages.filter((s) => s.kind === 'result')).toHaveLength(2);
    }
    // The map ran once per record: 4 + 1, not twice per record.
    expect(mapCalls).toBe(5);
  });

  it('a sink and a foreachBatch on the same reduced stream share one shuffle-map stage', async () => {
    const sink = new StoreSink<WordCount>('counts');
    const ssc = new StreamingContext({ batchInterval: 1000, partitions: 2, name: 'shared2' });
    const counts = ssc
      .queueStream([['a', 'b', 'a']])
      .map((w) => [w, 1] as WordCount)
      .reduceByKey((x, y) => x + y);
    counts.writeTo(sink);
    counts.foreachBatch(async (rdd) => {
      await rdd.collect();
    });
    const { store } = await runContext(ssc, { batches: 1 });
    const stages = (await readManifest(store, 1000))!.stages;
    // The sink's rows come back in task results and go out as one object from the coordinator.
    expect(stages.map((s) => s.kind)).toEqual(['shuffleMap', 'result', 'result']);
    expect([...(await sink.readBatch(store, 1000))!].sort()).toEqual([
      ['a', 2],
      ['b', 1],
    ]);
  });
});

describe('store garbage collection', () => {
  it('keeps batch data only for the latest batches of a stateless job while keeping every manifest', async () => {
    const batches = 30;
    const store = new MemoryStore();
    const retained: number[][] = [];
    const ssc = new StreamingContext({ batchInterval: 1000, partitions: 2, name: 'gc' });
    ssc
      .queueStream(Array.from({ length: batches }, (_, i) => [`w${i % 3}`, `w${i % 5}`, 'common']))
      .map((w) => [w, 1] as WordCount)
      .reduceByKey((x, y) => x + y)
      .foreachBatch(async (rdd) => {
        await rdd.collect();
      });
    const { error } = await runContext(ssc, {
      batches,
      store,
      // MemoryStore.list takes its snapshot synchronously, so this sees the store right after the batch.
      onBatch: () => {
        void batchTimesWithData(store).then((times) => retained.push(times));
      },
    });
    expect(error).toBeUndefined();
    await new Promise((resolve) => setImmediate(resolve));

    expect(retained).toHaveLength(batches);
    retained.forEach((times, i) => {
      const batchTime = (i + 1) * 1000;
      expect(times.length).toBeLessThanOrEqual(2);
      for (const t of times) expect(t).toBeGreaterThanOrEqual(batchTime - 1000);
    });
    const left = await batchTimesWithData(store);
    expect(left.length).toBeGreaterThan(0);
    expect(left.length).toBeLessThanOrEqual(2);
    expect(left.every((t) => t >= (batches - 1) * 1000)).toBe(true);

    const manifests = await listManifests(store);
    expect(manifests.map((m) => m.batchTime)).toEqual(
      Array.from({ length: batches }, (_, i) => (i + 1) * 1000),
    );
    expect(manifests.every((m) => m.status === 'committed')).toBe(true);
    // Shuffles and results travel in task requests and results: only input blocks are under batches/.
    const kinds = new Set((await store.list('batches/')).map((e) => e.key.split('/')[2]));
    expect([...kinds].sort()).toEqual(['input']);
    expect(store.stats().objects).toBeLessThan(batches + 20);
  });
});
