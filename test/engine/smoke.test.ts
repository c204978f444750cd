import { runBatches, runBatches2 } from '../../src/engine/testing';

describe('smoke', () => {
  it('maps and counts words', async () => {
    const out = await runBatches([['a b', 'b c'], ['c']], (s) =>
      s
        .flatMap((l) => l.split(' '))
        .map((w) => [w, 1] as [string, number])
        .reduceByKey((a, b) => a + b),
    );
    expect(out.map((b) => [...b].sort())).toEqual([
      [
        ['a', 1],
        ['b', 2],
        ['c', 1],
      ],
      [['c', 1]],
    ]);
  });
  it('joins', async () => {
    const out = await runBatches2(
      [
        [
          ['a', 1],
          ['b', 2],
        ],
      ],
      [[['a', 'x']]],
      (a, b) => a.leftOuterJoin(b),
    );
    expect(out[0].sort()).toEqual([
      ['a', [1, 'x']],
      ['b', [2, null]],
    ]);
  });
  it('counts', async () => {
    const out = await runBatches([[1, 2, 3], []], (s) => s.count(), { numBatches: 3 });
    expect(out).toEqual([[3], [0], [0]]);
  });
});
