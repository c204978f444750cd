/**
 * Property tests for the RDD operations a Spark user reaches for: for random batches and 1..5 input
 * (and result) partitions, the engine's result equals a naive reference over the plain arrays, so it
 * cannot depend on how the rows were partitioned.
 */
import fc from 'fast-check';
import { type DStream, ManualClock, type Pair, type RDD, StreamingContext } from '../../../src/engine';
import { runBatches, runBatches2 } from '../../../src/engine/testing';
import { canonical, sortedMultiset } from '../operations/helpers';

const RUNS = 25;

type Key = string | number;
type KV = Pair<Key, number>;

const keyArb: fc.Arbitrary<Key> = fc.oneof(
  fc.constantFrom('a', 'b', 'B', '', '1', 'ab', 'é'),
  fc.integer({ min: -3, max: 12 }),
);
const valueArb = fc.integer({ min: -20, max: 20 });
const pairArb: fc.Arbitrary<KV> = fc.tuple(keyArb, valueArb);
const batchesOf = <T>(arb: fc.Arbitrary<T>) =>
  fc.array(fc.array(arb, { maxLength: 40 }), { minLength: 1, maxLength: 4 });
const partitionsArb = fc.integer({ min: 1, max: 5 });

// ---- the naive reference ----

/** Numbers before strings; numbers numerically, strings by UTF-16 code units. */
function naiveCompare(a: Key, b: Key): number {
  if (typeof a !== typeof b) return typeof a === 'number' ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

const byPair = (a: KV, b: KV) => naiveCompare(a[0], b[0]) || a[1] - b[1];

/** Distinct by content, in first-seen order. */
function distinctRef<T>(rows: readonly T[]): T[] {
  const seen = new Map<string, T>();
  for (const row of rows) if (!seen.has(canonical(row))) seen.set(canonical(row), row);
  return [...seen.values()];
}

function groupRef(pairs: readonly KV[]): Map<string, [Key, number[]]> {
  const groups = new Map<string, [Key, number[]]>();
  for (const [k, v] of pairs) {
    const group = groups.get(canonical(k)) ?? [k, []];
    group[1].push(v);
    groups.set(canonical(k), group);
  }
  return groups;
}

// ---- driver actions ----

/** `action` of every batch's RDD, run in foreachBatch. */
async function eachBatch<T, R>(inputs: T[][], partitions: number, action: (rdd: RDD<T>) => Promise<R>) {
  const results: R[] = [];
  const ssc = new StreamingContext({ batchInterval: 1000, partitions, name: 'rdd-ops-ref' });
  (ssc.queueStream(inputs) as DStream<T>).foreachBatch(async (rdd) => {
    results.push(await action(rdd));
  });
  ssc.start({ clock: new ManualClock(0, { autoAdvance: true }), zeroTime: 0, batches: inputs.length });
  await ssc.awaitTermination();
  return results;
}

describe('RDD operations against a naive reference', () => {
  it('sortByKey and sortBy give the reference order, ascending and descending, for any partitioning', async () => {
    await fc.assert(
      fc.asyncProperty(
        batchesOf(pairArb),
        partitionsArb,
        partitionsArb,
        fc.boolean(),
        async (inputs, partitions, target, ascending) => {
          const byKey = await runBatches(
            inputs,
            (s) => s.transform((rdd) => rdd.sortByKey({ ascending, partitions: target })),
            {
              partitions,
            },
          );
          const expected = inputs.map((b) => [...b].sort(byPair));
          expect(byKey).toEqual(ascending ? expected : expected.map((b) => [...b].reverse()));
          const byValue = await runBatches(
            inputs,
            (s) => s.transform((rdd) => rdd.sortBy((pair) => pair[1], { partitions: target })),
            {
              partitions,
            },
          );
          expect(byValue).toEqual(inputs.map((b) => [...b].sort((x, y) => x[1] - y[1] || byPair(x, y))));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('distinct, subtract and intersection equal the set algebra of the arrays', async () => {
    await fc.assert(
      fc.asyncProperty(
        batchesOf(keyArb),
        batchesOf(keyArb),
        partitionsArb,
        async (left, right, partitions) => {
          const n = Math.max(left.length, right.length);
          const at = (batches: Key[][], i: number) => batches[i] ?? [];
          const inRight = (i: number) => new Set(at(right, i).map(canonical));
          const distinct = await runBatches(left, (s) => s.transform((rdd) => rdd.distinct()), {
            partitions,
          });
          expect(distinct.map(sortedMultiset)).toEqual(left.map((b) => sortedMultiset(distinctRef(b))));
          const subtracted = await runBatches2(
            left,
            right,
            (a, b) => a.transformWith(b, (x, y) => x.subtract(y)),
            {
              partitions,
            },
          );
          expect(subtracted.map(sortedMultiset)).toEqual(
            Array.from({ length: n }, (_, i) =>
              sortedMultiset(at(left, i).filter((k) => !inRight(i).has(canonical(k)))),
            ),
          );
          const common = await runBatches2(
            left,
            right,
            (a, b) => a.transformWith(b, (x, y) => x.intersection(y)),
            {
              partitions,
            },
          );
          expect(common.map(sortedMultiset)).toEqual(
            Array.from({ length: n }, (_, i) =>
              sortedMultiset(distinctRef(at(left, i)).filter((k) => inRight(i).has(canonical(k)))),
            ),
          );
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('aggregateByKey and foldByKey equal a fold of each key’s values', async () => {
    await fc.assert(
      fc.asyncProperty(
        batchesOf(pairArb),
        partitionsArb,
        partitionsArb,
        async (inputs, partitions, target) => {
          const stats = await runBatches(
            inputs,
            (s) =>
              s.transform((rdd) =>
                rdd.aggregateByKey(
                  [0, 0] as [number, number],
                  (acc, v) => [acc[0] + v, acc[1] + 1] as [number, number],
                  (a, b) => [a[0] + b[0], a[1] + b[1]] as [number, number],
                  target,
                ),
              ),
            { partitions },
          );
          const expected = inputs.map((b) =>
            sortedMultiset(
              [...groupRef(b).values()].map(([k, vs]) => [k, [vs.reduce((x, y) => x + y, 0), vs.length]]),
            ),
          );
          expect(stats.map(sortedMultiset)).toEqual(expected);
          const maxima = await runBatches(
            inputs,
            (s) => s.transform((rdd) => rdd.foldByKey(-100, Math.max, target)),
            {
              partitions,
            },
          );
          expect(maxima.map(sortedMultiset)).toEqual(
            inputs.map((b) =>
              sortedMultiset([...groupRef(b).values()].map(([k, vs]) => [k, Math.max(...vs)])),
            ),
          );
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('zipWithIndex numbers the rows as their positions in the batch', async () => {
    await fc.assert(
      fc.asyncProperty(batchesOf(valueArb), partitionsArb, async (inputs, partitions) => {
        const zipped = await runBatches(
          inputs,
          (s) => s.filter((x) => x % 2 === 0).transform((rdd) => rdd.zipWithIndex()),
          {
            partitions,
          },
        );
        expect(zipped).toEqual(inputs.map((b) => b.filter((x) => x % 2 === 0).map((x, i) => [x, i])));
      }),
      { numRuns: RUNS },
    );
  });

  it('sample keeps a sub-multiset of the batch, the same one on every run', async () => {
    await fc.assert(
      fc.asyncProperty(
        batchesOf(valueArb),
        partitionsArb,
        fc.boolean(),
        fc.integer(),
        async (inputs, partitions, replace, seed) => {
          const sample = () =>
            runBatches(inputs, (s) => s.transform((rdd) => rdd.sample(replace, 0.5, seed)), { partitions });
          const first = await sample();
          expect(await sample()).toEqual(first);
          if (!replace) {
            first.forEach((rows, i) => {
              const left = [...inputs[i]];
              for (const row of rows) {
                const at = left.indexOf(row);
                expect(at).toBeGreaterThanOrEqual(0);
                left.splice(at, 1);
              }
            });
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('count, reduce, aggregate, first, isEmpty, top and takeOrdered equal the array computations', async () => {
    await fc.assert(
      fc.asyncProperty(
        batchesOf(valueArb),
        partitionsArb,
        fc.integer({ min: 0, max: 6 }),
        async (inputs, partitions, n) => {
          const results = await eachBatch(inputs, partitions, async (rdd) => ({
            count: await rdd.count(),
            sum: await rdd.reduce((a, b) => a + b),
            sumAndCount: await rdd.aggregate(
              [0, 0],
              (acc, x) => [acc[0] + x, acc[1] + 1],
              (a, b) => [a[0] + b[0], a[1] + b[1]],
            ),
            first: (await rdd.isEmpty()) ? 'empty' : await rdd.first(),
            top: await rdd.top(n),
            bottom: await rdd.takeOrdered(n),
          }));
          const ascending = (b: number[]) => [...b].sort((x, y) => x - y);
          expect(results).toEqual(
            inputs.map((b) => ({
              count: b.length,
              sum: b.length === 0 ? undefined : b.reduce((x, y) => x + y),
              sumAndCount: [b.reduce((x, y) => x + y, 0), b.length],
              first: b.length === 0 ? 'empty' : b[0],
              top: ascending(b).reverse().slice(0, n),
              bottom: ascending(b).slice(0, n),
            })),
          );
        },
      ),
      { numRuns: RUNS },
    );
  });
});
