import { ManualClock, MemoryStore, type Pair, StreamingContext } from '../../../src/engine';
import { runBatches, runBatchesDetailed } from '../../../src/engine/testing';
import { expectBatches } from '../operations/helpers';
import { CountingStore, writeObjects } from './helpers';

describe('Dataset.rdd()', () => {
  it('is usable in transform: a stream filtered by a dataset of allowed words', async () => {
    const data = new CountingStore();
    await writeObjects(data, { 'allowed.txt': ['b', 'c'] });
    const out = await runBatches([['a', 'b'], ['c', 'c', 'd'], []], (s) => {
      const allowed = s.context.dataset(data, { partitions: 1 });
      return s.transform((rdd) =>
        rdd
          .map((w): Pair<string, number> => [w, 1])
          .join(allowed.rdd().map((w): Pair<string, null> => [w, null]))
          .map(([w]) => w),
      );
    });
    expectBatches(out, [['b'], ['c', 'c'], []], true);
    expect(data.totalReads).toBe(1);
  });

  it('is usable in foreachBatch driver code, read once across batches', async () => {
    const data = new CountingStore();
    await writeObjects(data, { 'a.jsonl': ['["x",1]'], 'b.jsonl': ['["y",2]'] });
    const seen: Pair<string, [number, number]>[][] = [];
    await runBatchesDetailed(
      [[['x', 10] as Pair<string, number>], [['y', 20] as Pair<string, number>], []],
      (s) => {
        const table = s.context.dataset<Pair<string, number>>(data, { format: 'jsonl' });
        s.foreachBatch(async (rdd) => {
          seen.push(await rdd.join(table.keyedRdd()).collect());
        });
        return s;
      },
    );
    expect(seen).toEqual([[['x', [10, 1]]], [['y', [20, 2]]], []]);
    expect(data.totalReads).toBe(2);
  });

  it('keeps parallelized values in order over any number of partitions', async () => {
    const out = await runBatches<string | number, string | number>([[0], [0]], (s) => {
      const values = s.context.parallelize<string | number>(['p', 'q', 'r', 's', 't'], 3);
      return s.transform((rdd) => rdd.union(values.rdd()));
    });
    expectBatches(out, [
      [0, 'p', 'q', 'r', 's', 't'],
      [0, 'p', 'q', 'r', 's', 't'],
    ]);
  });
});

describe('creating datasets', () => {
  it('refuses a dataset created after start, bad names and duplicate names', async () => {
    const ssc = new StreamingContext({ batchInterval: '1s', name: 'late' });
    expect(() => ssc.dataset(new MemoryStore(), { name: 'has space' })).toThrow(/must be letters, digits/);
    ssc.parallelize([1], 1);
    expect(() => ssc.parallelize([2])).not.toThrow();
    ssc.dataset(new MemoryStore(), { name: 'refs' });
    expect(() => ssc.dataset(new MemoryStore(), { name: 'refs' })).toThrow(/two datasets are named 'refs'/);
    ssc.queueStream([[1]]).foreachBatch(() => undefined);
    ssc.start({ clock: new ManualClock(0, { autoAdvance: true }), zeroTime: 0, batches: 1 });
    expect(() => ssc.parallelize([3])).toThrow(/after the context has started/);
    await expect(ssc.awaitTermination()).rejects.toThrow(/dataset 'refs'.*is empty or missing/);
  });
});
