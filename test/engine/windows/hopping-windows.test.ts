/**
 * Hopping windows: a slide longer than the window, which Spark allows. A window at t covers the batches
 * in (t - window, t]; the batches between two windows are in none. Input i arrives at 1000 * (i + 1).
 */
import { InvalidGraphError, type Pair, StreamingContext } from '../../../src/engine';
import { ReducedWindowedDStream } from '../../../src/engine/graph';
import { runBatchesDetailed } from '../../../src/engine/testing';
import { sortedMultiset, testOperation } from '../operations/helpers';
import { guarded } from './helpers';

type KV = Pair<string, number>;

const sum = (a: number, b: number) => a + b;
const minus = (a: number, b: number) => a - b;

/** One value per batch: 1 at 1 s, 2 at 2 s, ... 9 at 9 s. */
const ones = [[1], [2], [3], [4], [5], [6], [7], [8], [9]];

/** A key per batch; windows of 2 s every 3 s see batches 2-3, 5-6 and 8-9. */
const keyed: KV[][] = [
  [['a', 1]],
  [
    ['a', 1],
    ['b', 1],
  ],
  [['b', 1]],
  [['c', 1]],
  [['a', 1]],
  [],
  [['c', 1]],
  [['c', 1]],
  [
    ['b', 1],
    ['b', 1],
  ],
];

const hop = { window: '2s', slide: '3s' };

describe('window with a slide longer than the window', () => {
  it('holds the batches of (t - window, t] and skips the batches between windows', async () => {
    const run = await runBatchesDetailed(ones, (s) => s.window(hop), guarded());
    expect(run.times).toEqual([3000, 6000, 9000]);
    expect(run.outputs).toEqual([
      [2, 3],
      [5, 6],
      [8, 9],
    ]);
  });

  it('takes one batch every third batch with a one-batch window', async () => {
    const run = await runBatchesDetailed(ones, (s) => s.window({ window: '1s', slide: '3s' }), guarded());
    expect(run.times).toEqual([3000, 6000, 9000]);
    expect(run.outputs).toEqual([[3], [6], [9]]);
  });

  it('windows a mapped stream, whose skipped batches are never needed', async () => {
    await testOperation(
      ones,
      (s) => s.map((x) => x * 10).window({ window: '1s', slide: '2s' }),
      [[20], [40], [60], [80]],
      { ...guarded(), numBatches: 9 },
    );
  });
});

describe('reduceByKeyAndWindow with a slide longer than the window', () => {
  const expected: KV[][] = [
    [
      ['a', 1],
      ['b', 2],
    ],
    [['a', 1]],
    [
      ['b', 2],
      ['c', 1],
    ],
  ];

  it('reduces each window from its own batches', async () => {
    await testOperation(keyed, (s) => s.reduceByKeyAndWindow(sum, hop), expected, {
      ...guarded(),
      useSet: true,
      numBatches: 9,
    });
  });

  it('gives the same result with an inverse, and keys of earlier windows do not carry over', async () => {
    await testOperation(keyed, (s) => s.reduceByKeyAndWindow(sum, { ...hop, inverse: minus }), expected, {
      ...guarded(),
      useSet: true,
      numBatches: 9,
    });
  });

  it('applies the filter given with the inverse', async () => {
    await testOperation(
      keyed,
      (s) => s.reduceByKeyAndWindow(sum, { ...hop, inverse: minus, filter: (entry) => entry[0] !== 'b' }),
      [[['a', 1]], [['a', 1]], [['c', 1]]],
      { ...guarded(), useSet: true, numBatches: 9 },
    );
  });

  it('is correct across checkpoints of the windowed stream', async () => {
    await testOperation(
      keyed,
      (s) => s.reduceByKeyAndWindow(sum, { ...hop, inverse: minus, partitions: 3 }).checkpoint('3s'),
      expected,
      { ...guarded(), useSet: true, numBatches: 9 },
    );
  });

  it('refuses to build an incremental window node that hops', () => {
    const ssc = new StreamingContext({ batchInterval: 1000, partitions: 2, name: 'hopping' });
    const reduced = ssc.queueStream<KV>([]).reduceByKey(sum);
    expect(
      () =>
        new ReducedWindowedDStream(ssc.graph, reduced.node, 2000, 3000, 2, { reduce: sum, inverse: minus }),
    ).toThrow(InvalidGraphError);
  });
});

describe('reduceByWindow, countByWindow and friends with a slide longer than the window', () => {
  it('reduceByWindow sums each window, with or without an inverse', async () => {
    for (const inverse of [undefined, minus]) {
      const run = await runBatchesDetailed(
        ones,
        (s) => s.reduceByWindow(sum, { ...hop, inverse }),
        guarded(),
      );
      expect(run.times).toEqual([3000, 6000, 9000]);
      expect(run.outputs).toEqual([[5], [11], [17]]);
    }
  });

  it('reduceByWindow produces nothing for a window with no elements', async () => {
    const run = await runBatchesDetailed([[1], [2], [3], [], []], (s) => s.reduceByWindow(sum, hop), {
      ...guarded(),
      numBatches: 6,
    });
    expect(run.outputs).toEqual([[5], []]);
  });

  it('countByWindow counts each window and gives 0 for an empty one', async () => {
    const run = await runBatchesDetailed([[1, 1], [2], [3, 3, 3], [4], [], []], (s) => s.countByWindow(hop), {
      ...guarded(),
      numBatches: 9,
    });
    expect(run.times).toEqual([3000, 6000, 9000]);
    expect(run.outputs).toEqual([[4], [0], [0]]);
  });

  it('countByValueAndWindow counts each value of each window', async () => {
    const run = await runBatchesDetailed(
      [['x'], ['x', 'y'], ['y'], ['z'], ['x'], ['x']],
      (s) => s.countByValueAndWindow(hop),
      guarded(),
    );
    expect(run.outputs.map((b) => sortedMultiset(b))).toEqual([
      [
        ['x', 1],
        ['y', 2],
      ],
      [['x', 2]],
    ]);
  });

  it('groupByKeyAndWindow groups the values of each window', async () => {
    const run = await runBatchesDetailed(keyed, (s) => s.groupByKeyAndWindow(hop), guarded());
    expect(run.outputs.map((batch) => sortedMultiset(batch.map(([k, vs]) => [k, vs.length])))).toEqual([
      [
        ['a', 1],
        ['b', 2],
      ],
      [['a', 1]],
      [
        ['b', 2],
        ['c', 1],
      ],
    ]);
  });
});
