import { runBatches, runBatches2 } from '../../../src/engine/testing';

it('objects', async () => {
  const out = await runBatches(
    [
      [
        [{ a: 1 }, 1],
        [{ a: 2 }, 1],
        [{ b: 1 }, 1],
      ] as [object, number][],
    ],
    (s) => s.reduceByKey((x, y) => x + y),
    { partitions: 1 },
  );
  console.log(out);
  const o2 = await runBatches(
    [[1, 2, 3]],
    (s) => s.map((x) => [{ k: x % 2 }, x] as [object, number]).reduceByKey((x, y) => x + y),
    { partitions: 1 },
  );
  console.log(o2);
});
it('misc', async () => {
  console.log(JSON.stringify(await runBatches([[1, 2, 3]], (s) => s.union(s), {})));
  console.log(
    JSON.stringify(
      await runBatches(
        [
          [
            [1, 'a'],
            [2, 'b'],
            [1, 'c'],
          ],
        ] as [number, string][][],
        (s) => s.join(s),
        {},
      ),
    ),
  );
  console.log(
    JSON.stringify(
      await runBatches([[1, 2, 3, 4, 5], []], (s) => s.mapPartitions((rows, p) => rows.map((r) => [p, r])), {
        partitions: 3,
      }),
    ),
  );
  console.log(JSON.stringify(await runBatches([[1, 2, 3, 4, 5], []], (s) => s.glom(), { partitions: 3 })));
  console.log(
    JSON.stringify(
      await runBatches([[1, 2, 3, 4, 5], []], (s) => s.repartition(4).glom(), { partitions: 3 }),
    ),
  );
  console.log(
    JSON.stringify(
      await runBatches([[1, 2, 3, 4, 5], []], (s) => s.transform((r, t) => r.map((x) => x + t)), {
        partitions: 3,
      }),
    ),
  );
  console.log(
    JSON.stringify(
      await runBatches([[1, 2, 3, 4, 5], []], (s) => s.reduce((a, b) => a + b), { partitions: 3 }),
    ),
  );
  console.log(
    JSON.stringify(
      await runBatches([['a', 'b', 'a'], []], (s) => s.countByValue(1).glom(), { partitions: 3 }),
    ),
  );
  console.log(
    JSON.stringify(
      await runBatches2(
        [[1, 2]],
        [[10], [20]],
        (a, b) => a.transformWith(b, (x, y, t) => x.union(y.map((v) => v + t))),
        { partitions: 3 },
      ),
    ),
  );
});
