import fc from 'fast-check';
import type { Pair } from '../../../src/engine';
import { runBatches } from '../../../src/engine/testing';
import { sortedMultiset } from '../operations/helpers';

type Row = Pair<string, number>;

/** The join computed naively: every stream pair with every dataset value of its key. */
function naiveJoin(
  batch: readonly Row[],
  table: readonly Row[],
  outer: boolean,
): Pair<string, [number, number | null]>[] {
  const out: Pair<string, [number, number | null]>[] = [];
  for (const [key, value] of batch) {
    const matches = table.filter(([k]) => k === key);
    for (const [, match] of matches) out.push([key, [value, match]]);
    if (outer && matches.length === 0) out.push([key, [value, null]]);
  }
  return out;
}

const row = fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e'), fc.integer({ min: 0, max: 99 }));

describe('joinDataset, broadcast or shuffled', () => {
  it('gives the naive join whatever the partitions, broadcast or not', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(row, { maxLength: 8 }), { minLength: 1, maxLength: 3 }),
        fc.array(row, { maxLength: 8 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.boolean(),
        async (batches, table, streamPartitions, joinPartitions, outer) => {
          const expected = batches.map((batch) => sortedMultiset(naiveJoin(batch, table, outer)));
          for (const broadcast of [false, true]) {
            const out = await runBatches(
              batches,
              (s) => {
                const dataset = s.context.parallelize(table, joinPartitions);
                return outer
                  ? s.leftOuterJoinDataset(dataset, { broadcast })
                  : s.joinDataset(dataset, { broadcast, partitions: joinPartitions });
              },
              { partitions: streamPartitions },
            );
            expect(out.map((batch) => sortedMultiset(batch))).toEqual(expected);
          }
        },
      ),
      { numRuns: 20 },
    );
  });
});
