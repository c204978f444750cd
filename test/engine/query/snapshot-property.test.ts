/**
 * Property: a snapshot of a running total and of a sliding window equals a naive count over the input
 * arrays up to the queried batch, whatever the partitions of the job and the workers of the query.
 */
import fc from 'fast-check';
import { defineJob, type Pair } from '../../../src/engine';
import { contextFor } from '../../../src/engine/api';
import { MemoryStore } from '../../../src/engine/io/memory-store';
import { BatchNotQueryableError, snapshot } from '../../../src/engine/query';
import { runContext } from '../coordinator/helpers';
import { sortedMultiset } from '../operations/helpers';

const keyArb = fc.constantFrom('a', 'b', 'c', '1', 'ab');
const batchesArb = fc.array(fc.array(keyArb, { maxLength: 12 }), { minLength: 2, maxLength: 7 });

function jobOf(batches: string[][], partitions: number) {
  return defineJob({
    name: 'property',
    batchInterval: '1s',
    partitions,
    build(ssc) {
      const ones = ssc.queueStream(batches).map((key): Pair<string, number> => [key, 1]);
      ones
        .updateStateByKey<string, number, number>((values, n) => (n ?? 0) + values.length)
        .checkpoint('2s')
        .named('totals')
        .print(0);
      ones
        .reduceByKeyAndWindow((a, b) => a + b, { window: '2s' })
        .named('window')
        .print(0);
    },
  });
}

function countsOf(keys: readonly string[]): Pair<string, number>[] {
  const counts = new Map<string, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  return [...counts];
}

describe('snapshot (property)', () => {
  it('equals a naive count up to the queried batch, whatever the partitions and workers', async () => {
    await fc.assert(
      fc.asyncProperty(
        batchesArb,
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        fc.nat(),
        async (batches, partitions, workers, pick) => {
          const job = jobOf(batches, partitions);
          const store = new MemoryStore();
          const run = await runContext(
            contextFor(job, () => undefined),
            { batches: batches.length, store },
          );
          expect(run.error).toBeUndefined();
          // The newest batch is always retained; an older one may be cleaned, and is then refused.
          for (const batch of [batches.length, 1 + (pick % batches.length)]) {
            const at = batch * 1000;
            const totals = await snapshot<Pair<string, number>>(job, 'totals', { store, at, workers }).catch(
              (error: unknown) => {
                if (batch < batches.length && error instanceof BatchNotQueryableError) return undefined;
                throw error;
              },
            );
            if (!totals) continue;
            expect(sortedMultiset(await totals.collect())).toEqual(
              sortedMultiset(countsOf(batches.slice(0, batch).flat())),
            );
            const window = await snapshot<Pair<string, number>>(job, 'window', { store, at, workers });
            expect(sortedMultiset(await window.collect())).toEqual(
              sortedMultiset(countsOf(batches.slice(Math.max(0, batch - 2), batch).flat())),
            );
          }
        },
      ),
      { numRuns: 15 },
    );
  }, 120_000);
});
