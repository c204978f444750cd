import fc from 'fast-check';
import {
  BatchJobError,
  defineBatchJob,
  MemoryStore,
  type Pair,
  type RDD,
  runBatchJob,
  StoreSink,
} from '../../../src/engine';
import { runBatches } from '../../../src/engine/testing';
import { sortedMultiset } from '../operations/helpers';
import { CountingStore, writeObjects } from './helpers';

/** Word counts: the computation both the batch job and the stream run. */
const wordCounts = (lines: RDD<string>): RDD<Pair<string, number>> =>
  lines
    .flatMap((line) => line.split(' '))
    .map((word): Pair<string, number> => [word, 1])
    .reduceByKey((a, b) => a + b, 3);

describe('batch jobs', () => {
  it('equal the same computation on a stream fed the same records', async () => {
    const line = fc.stringMatching(/^[abc]{1,3}( [abc]{1,3}){0,3}$/);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(line, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 4 }),
        async (objects, partitions) => {
          const data = new MemoryStore();
          const files = Object.fromEntries(objects.map((lines, i) => [`logs/${i}.txt`, lines]));
          await writeObjects(data, files);
          const batch = await runBatchJob(
            defineBatchJob({
              name: 'words',
              partitions,
              build: (ctx) => wordCounts(ctx.dataset(data).rdd()),
            }),
          );
          const streamed = await runBatches([objects.flat()], (s) => s.transform(wordCounts), {
            partitions,
          });
          expect(sortedMultiset(batch)).toEqual(sortedMultiset(streamed[0]));
        },
      ),
      { numRuns: 15 },
    );
  });

  it('round-trips parallelize', async () => {
    const values = Array.from({ length: 23 }, (_, i) => ({ id: i }));
    for (const partitions of [1, 3, 30]) {
      const rows = await runBatchJob(
        defineBatchJob({ name: 'values', build: (ctx) => ctx.parallelize(values, partitions).rdd() }),
      );
      expect(rows).toEqual(values);
    }
  });

  it('joins two datasets and writes the result to its output sink exactly once', async () => {
    const data = new CountingStore();
    await writeObjects(data, { 'a.jsonl': ['["x",1]', '["y",2]'], 'b.jsonl': ['["x",10]'] });
    const sink = new StoreSink<Pair<string, [number, string]>>('joined');
    const store = new MemoryStore();
    const job = defineBatchJob({
      name: 'joined',
      output: sink,
      build: (ctx) =>
        ctx
          .dataset<Pair<string, number>>(data, { format: 'jsonl', name: 'numbers' })
          .rdd()
          .join(ctx.parallelize<Pair<string, string>>([['x', 'ex']]).rdd()),
    });
    const rows = await runBatchJob(job, { store });
    expect(sortedMultiset(rows)).toEqual([
      ['x', [1, 'ex']],
      ['x', [10, 'ex']],
    ]);
    expect(await sink.committedBatches(store)).toEqual([1000]);
    expect(sortedMultiset((await sink.readBatch(store, 1000)) ?? [])).toEqual(sortedMultiset(rows));
    expect(data.totalReads).toBe(2);
    await expect(runBatchJob(job, { store })).rejects.toThrow(BatchJobError);
  });

  it('refuses a build that does not return an RDD', async () => {
    const job = defineBatchJob({ name: 'bad', build: () => [1, 2] as unknown as RDD<number> });
    await expect(runBatchJob(job)).rejects.toThrow(/build must return an RDD/);
  });
});
