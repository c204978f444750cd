import { formatJson, formatTable } from '../../src/engine/cli/rows-table';

describe('query output', () => {
  it('lays pairs out as columns _1, _2 aligned under their headers', () => {
    expect(
      formatTable([
        ['apple', 3],
        ['fig', 12],
      ]),
    ).toBe(['_1    | _2', '------+---', 'apple | 3', 'fig   | 12'].join('\n'));
  });

  it('lays objects out by their keys, leaving absent ones empty', () => {
    expect(
      formatTable([
        { cdn: 'a', ratio: 0.5 },
        { cdn: 'b', errors: [1] },
      ]),
    ).toBe(['cdn | ratio | errors', '----+-------+-------', 'a   | 0.5', 'b   |       | [1]'].join('\n'));
  });

  it('puts single values in a value column, and shows strings as they are', () => {
    expect(formatTable([42, 'x', null, 7n])).toBe(['value', '-----', '42', 'x', 'null', '"7"'].join('\n'));
    expect(formatTable([])).toBe(['value', '-----'].join('\n'));
  });

  it('prints JSON one row a line', () => {
    expect(formatJson([['a', 1], { b: 2n }])).toBe('[\n  ["a",1],\n  {"b":"2"}\n]');
    expect(formatJson([])).toBe('[]');
  });
});
