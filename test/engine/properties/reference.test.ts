/**
 * Property tests: for random inputs, the engine's output equals a naive in-memory reference computed with
 * plain JavaScript over the input arrays, and does not depend on the number of partitions or workers.
 */
import fc from 'fast-check';
import type { DStream, Pair } from '../../../src/engine';
import { runBatches, runBatches2 } from '../../../src/engine/testing';
import { canonical, sortedMultiset } from '../operations/helpers';

const RUNS = 30;

type Key = string | number;
type KV = Pair<Key, number>;

// Keys mix strings and numbers, including '1' next to 1, so that the two must stay apart.
const keyArb: fc.Arbitrary<Key> = fc.oneof(
  fc.constantFrom('a', 'b', 'c', '', '1', 'ab'),
  fc.integer({ min: 0, max: 4 }),
);
const valueArb = fc.integer({ min: -50, max: 50 });
const pairArb: fc.Arbitrary<KV> = fc.tuple(keyArb, valueArb);
const batchesOf = <T>(arb: fc.Arbitrary<T>) =>
  fc.array(fc.array(arb, { maxLength: 30 }), { minLength: 1, maxLength: 6 });
const partitionsArb = fc.integer({ min: 1, max: 5 });
const workersArb = fc.integer({ min: 1, max: 4 });
const lineArb = fc
  .array(fc.constantFrom('the', 'cat', 'sat', 'on', 'mat', 'a', ''), { maxLength: 8 })
  .map((words) => words.join(' '));

const sum = (a: number, b: number) => a + b;
const byNumber = (a: number, b: number) => a - b;

// ---- the naive reference ----

/** Groups pairs by key identity, keeping the first key seen and all values in input order. */
function groupRef<K, V>(pairs: readonly Pair<K, V>[]): Map<string, [K, V[]]> {
  const groups = new Map<string, [K, V[]]>();
  for (const [k, v] of pairs) {
    const id = canonical(k);
    const group = groups.get(id);
    if (group) group[1].push(v);
    else groups.set(id, [k, [v]]);
  }
  return groups;
}

function reduceByKeyRef<K>(pairs: readonly Pair<K, number>[]): Pair<K, number>[] {
  return [...groupRef(pairs).values()].map(([k, vs]) => [k, vs.reduce(sum)]);
}

function groupByKeyRef<K>(pairs: readonly Pair<K, number>[]): Pair<K, number[]>[] {
  return [...groupRef(pairs).values()].map(([k, vs]) => [k, [...vs].sort(byNumber)]);
}

function cogroupRef<K>(left: readonly Pair<K, number>[], right: readonly Pair<K, number>[]) {
  const l = groupRef(left);
  const r = groupRef(right);
  const out: Pair<K, [number[], number[]]>[] = [];
  for (const id of new Set([...l.keys(), ...r.keys()])) {
    const key = (l.get(id) ?? r.get(id))![0];
    out.push([key, [[...(l.get(id)?.[1] ?? [])].sort(byNumber), [...(r.get(id)?.[1] ?? [])].sort(byNumber)]]);
  }
  return out;
}

function joinRef<K>(
  left: readonly Pair<K, number>[],
  right: readonly Pair<K, number>[],
  keepLeft: boolean,
  keepRight: boolean,
): Pair<K, [number | null, number | null]>[] {
  const out: Pair<K, [number | null, number | null]>[] = [];
  for (const [key, [ls, rs]] of cogroupRef(left, right)) {
    if (ls.length === 0) {
      if (keepRight) for (const r of rs) out.push([key, [null, r]]);
    } else if (rs.length === 0) {
      if (keepLeft) for (const l of ls) out.push([key, [l, null]]);
    } else {
      for (const l of ls) for (const r of rs) out.push([key, [l, r]]);
    }
  }
  return out;
}

function countByValueRef<T>(values: readonly T[]): Pair<T, number>[] {
  return reduceByKeyRef(values.map((v) => [v, 1] as Pair<T, number>));
}

function wordCountRef(lines: readonly string[]): Pair<string, number>[] {
  return countByValueRef(lines.flatMap((l) => l.split(' ')).filter((w) => w.length > 0));
}

/** One output batch per batch run: inputs padded with empty batches up to `n`. */
function padded<T>(inputs: T[][], n: number): T[][] {
  return Array.from({ length: n }, (_, i) => inputs[i] ?? []);
}

function expectSameMultisets<T>(actual: T[][], expected: T[][]): void {
  expect(actual.length).toBe(expected.length);
  expect(actual.map((b) => sortedMultiset(b))).toEqual(expected.map((b) => sortedMultiset(b)));
}

const sortValues = (vs: number[]) => [...vs].sort(byNumber);

// ---- properties against the reference ----

describe('engine output equals a naive in-memory reference', () => {
  it('word count (flatMap, filter, map, reduceByKey) counts the words of every batch', async () => {
    await fc.assert(
      fc.asyncProperty(batchesOf(lineArb), partitionsArb, async (inputs, partitions) => {
        const out = await runBatches(
          inputs,
          (s) =>
            s
              .flatMap((l) => l.split(' '))
              .filter((w) => w.length > 0)
              .map((w) => [w, 1] as Pair<string, number>)
              .reduceByKey(sum),
          { partitions },
        );
        expectSameMultisets(out, inputs.map(wordCountRef));
      }),
      { numRuns: RUNS },
    );
  });

  it('reduceByKey sums the values of every key, whatever the output partitions', async () => {
    await fc.assert(
      fc.asyncProperty(batchesOf(pairArb), partitionsArb, partitionsArb, async (inputs, partitions, out) => {
        const actual = await runBatches(inputs, (s) => s.reduceByKey(sum, out), { partitions });
        expectSameMultisets(actual, inputs.map(reduceByKeyRef));
      }),
      { numRuns: RUNS },
    );
  });

  it('groupByKey gathers all values of every key', async () => {
    await fc.assert(
      fc.asyncProperty(batchesOf(pairArb), partitionsArb, async (inputs, partitions) => {
        const actual = await runBatches(inputs, (s) => s.groupByKey().mapValues(sortValues), { partitions });
        expectSameMultisets(actual, inputs.map(groupByKeyRef));
      }),
      { numRuns: RUNS },
    );
  });

  it('combineByKey computing [sum, count] agrees with the reference', async () => {
    await fc.assert(
      fc.asyncProperty(batchesOf(pairArb), partitionsArb, async (inputs, partitions) => {
        const actual = await runBatches(
          inputs,
          (s) =>
            s.combineByKey<Key, number, [number, number]>(
              (v) => [v, 1],
              ([t, n], v) => [t + v, n + 1],
              ([t1, n1], [t2, n2]) => [t1 + t2, n1 + n2],
            ),
          { partitions },
        );
        const expected = inputs.map((batch) =>
          [...groupRef(batch).values()].map(
            ([k, vs]) => [k, [vs.reduce(sum), vs.length]] as Pair<Key, [number, number]>,
          ),
        );
        expectSameMultisets(actual, expected);
      }),
      { numRuns: RUNS },
    );
  });

  const twoStreams = fc.tuple(batchesOf(pairArb), batchesOf(pairArb), partitionsArb);

  it('join pairs the values of equal keys of both streams', async () => {
    await fc.assert(
      fc.asyncProperty(twoStreams, async ([left, right, partitions]) => {
        const n = Math.max(left.length, right.length);
        const actual = await runBatches2(left, right, (a, b) => a.join(b), { partitions });
        const expected = padded(left, n).map((l, i) => joinRef(l, padded(right, n)[i], false, false));
        expectSameMultisets(actual, expected);
      }),
      { numRuns: RUNS },
    );
  });

  it('leftOuterJoin also keeps left values without a match', async () => {
    await fc.assert(
      fc.asyncProperty(twoStreams, async ([left, right, partitions]) => {
        const n = Math.max(left.length, right.length);
        const actual = await runBatches2(left, right, (a, b) => a.leftOuterJoin(b), { partitions });
        const expected = padded(left, n).map((l, i) => joinRef(l, padded(right, n)[i], true, false));
        expectSameMultisets(actual, expected);
      }),
      { numRuns: RUNS },
    );
  });

  it('rightOuterJoin also keeps right values without a match', async () => {
    await fc.assert(
      fc.asyncProperty(twoStreams, async ([left, right, partitions]) => {
        const n = Math.max(left.length, right.length);
        const actual = await runBatches2(left, right, (a, b) => a.rightOuterJoin(b), { partitions });
        const expected = padded(left, n).map((l, i) => joinRef(l, padded(right, n)[i], false, true));
        expectSameMultisets(actual, expected);
      }),
      { numRuns: RUNS },
    );
  });

  it('fullOuterJoin keeps unmatched values of both streams', async () => {
    await fc.assert(
      fc.asyncProperty(twoStreams, partitionsArb, async ([left, right, partitions], out) => {
        const n = Math.max(left.length, right.length);
        const actual = await runBatches2(left, right, (a, b) => a.fullOuterJoin(b, out), { partitions });
        const expected = padded(left, n).map((l, i) => joinRef(l, padded(right, n)[i], true, true));
        expectSameMultisets(actual, expected);
      }),
      { numRuns: RUNS },
    );
  });

  it('cogroup gathers the values of both streams for every key of either', async () => {
    await fc.assert(
      fc.asyncProperty(twoStreams, async ([left, right, partitions]) => {
        const n = Math.max(left.length, right.length);
        const actual = await runBatches2(
          left,
          right,
          (a, b) =>
            a.cogroup(b).mapValues(([l, r]) => [sortValues(l), sortValues(r)] as [number[], number[]]),
          { partitions },
        );
        const expected = padded(left, n).map((l, i) => cogroupRef(l, padded(right, n)[i]));
        expectSameMultisets(actual, expected);
      }),
      { numRuns: RUNS },
    );
  });

  it('joins of reduced streams agree with the reference whether or not their partitionings match', async () => {
    // Renaming keys after the reduce moves rows away from where hashing would put them.
    const rename = (k: Key): Key => (typeof k === 'number' ? `${k}` : k.length > 0 ? k.length : 'empty');
    await fc.assert(
      fc.asyncProperty(
        twoStreams,
        fc.tuple(partitionsArb, partitionsArb, partitionsArb),
        fc.boolean(),
        async ([left, right, partitions], [p1, p2, p3], renameLeft) => {
          const n = Math.max(left.length, right.length);
          const actual = await runBatches2(
            left,
            right,
            (a, b) => {
              const ra = a.reduceByKey(sum, p1);
              const la = renameLeft ? ra.map(([k, v]) => [rename(k), v] as KV) : ra.mapValues((v) => v);
              return la.fullOuterJoin(b.reduceByKey(sum, p2), p3);
            },
            { partitions },
          );
          const expected = padded(left, n).map((l, i) => {
            const reduced = reduceByKeyRef(l).map(([k, v]) => [renameLeft ? rename(k) : k, v] as KV);
            return joinRef(reduced, reduceByKeyRef(padded(right, n)[i]), true, true);
          });
          expectSameMultisets(actual, expected);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('countByValue counts every distinct value', async () => {
    await fc.assert(
      fc.asyncProperty(batchesOf(keyArb), partitionsArb, async (inputs, partitions) => {
        const actual = await runBatches(inputs, (s) => s.countByValue(), { partitions });
        expectSameMultisets(actual, inputs.map(countByValueRef));
      }),
      { numRuns: RUNS },
    );
  });

  it('filter and map keep input order exactly', async () => {
    await fc.assert(
      fc.asyncProperty(batchesOf(valueArb), partitionsArb, async (inputs, partitions) => {
        const actual = await runBatches(inputs, (s) => s.filter((x) => x % 3 !== 0).map((x) => x * 2 + 1), {
          partitions,
        });
        expect(actual).toEqual(inputs.map((b) => b.filter((x) => x % 3 !== 0).map((x) => x * 2 + 1)));
      }),
      { numRuns: RUNS },
    );
  });

  it('count yields the size of every batch, and reduce its sum (nothing when empty)', async () => {
    await fc.assert(
      fc.asyncProperty(batchesOf(valueArb), partitionsArb, async (inputs, partitions) => {
        const counts = await runBatches(inputs, (s) => s.count(), { partitions });
        expect(counts).toEqual(inputs.map((b) => [b.length]));
        const sums = await runBatches(inputs, (s) => s.reduce(sum), { partitions });
        expect(sums).toEqual(inputs.map((b) => (b.length === 0 ? [] : [b.reduce(sum)])));
      }),
      { numRuns: RUNS },
    );
  });

  it('repartition keeps the multiset of every batch and has the requested partitions', async () => {
    await fc.assert(
      fc.asyncProperty(
        batchesOf(pairArb),
        partitionsArb,
        partitionsArb,
        async (inputs, partitions, target) => {
          const actual = await runBatches(inputs, (s) => s.repartition(target).glom(), { partitions });
          expect(actual.map((b) => b.length)).toEqual(inputs.map(() => target));
          expectSameMultisets(
            actual.map((b) => b.flat()),
            inputs,
          );
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('union yields the first stream then the second, batch by batch', async () => {
    await fc.assert(
      fc.asyncProperty(batchesOf(valueArb), batchesOf(valueArb), partitionsArb, async (a, b, partitions) => {
        const n = Math.max(a.length, b.length);
        const actual = await runBatches2(a, b, (x, y) => x.union(y), { partitions });
        expect(actual).toEqual(padded(a, n).map((batch, i) => [...batch, ...padded(b, n)[i]]));
      }),
      { numRuns: RUNS },
    );
  });
});

// ---- properties: results do not depend on partitions or workers ----

const configArb = fc.record({ partitions: partitionsArb, workers: workersArb });

describe('results do not depend on the number of partitions or workers', () => {
  /** A program with several shuffles: word counts joined with the first letters of the words. */
  const shuffleProgram = (s: DStream<string>) => {
    const words = s.flatMap((l) => l.split(' ')).filter((w) => w.length > 0);
    const counts = words.map((w) => [w, 1] as Pair<string, number>).reduceByKey(sum);
    const firsts = words.map((w) => [w, w[0]] as Pair<string, string>).groupByKey();
    return counts
      .fullOuterJoin(firsts)
      .map(([w, [n, fs]]) => `${w}:${n}:${fs?.length ?? 'none'}`)
      .union(words.countByValue().map(([w, n]) => `cbv ${w}:${n}`))
      .repartition(3);
  };

  it('a pipeline with shuffles gives the same multiset per batch under any configuration', async () => {
    await fc.assert(
      fc.asyncProperty(batchesOf(lineArb), configArb, configArb, async (inputs, c1, c2) => {
        const first = await runBatches(inputs, shuffleProgram, c1);
        const second = await runBatches(inputs, shuffleProgram, c2);
        expectSameMultisets(first, second);
        expect(first.length).toBe(inputs.length);
      }),
      { numRuns: RUNS },
    );
  });

  it('a two-stream pipeline gives the same multiset per batch under any configuration', async () => {
    const program = (a: DStream<KV>, b: DStream<KV>) =>
      a
        .reduceByKey(sum)
        .cogroup(b.mapValues((v) => v * 2))
        .mapValues(([ls, rs]) => [sortValues(ls), sortValues(rs)] as [number[], number[]]);
    await fc.assert(
      fc.asyncProperty(batchesOf(pairArb), batchesOf(pairArb), configArb, configArb, async (a, b, c1, c2) => {
        const first = await runBatches2(a, b, program, c1);
        const second = await runBatches2(a, b, program, c2);
        expectSameMultisets(first, second);
      }),
      { numRuns: RUNS },
    );
  });

  it('a narrow-only pipeline gives identical output, order included, under any configuration', async () => {
    const program = (s: DStream<number>) =>
      s
        .flatMap((x) => (x % 4 === 0 ? [] : [x, -x]))
        .filter((x) => x % 3 !== 0)
        .map((x) => [x, String(x)] as Pair<number, string>)
        .mapValues((v) => v.length)
        .flatMapValues((n) => Array.from({ length: n % 3 }, (_, i) => i));
    await fc.assert(
      fc.asyncProperty(batchesOf(valueArb), configArb, configArb, async (inputs, c1, c2) => {
        const first = await runBatches(inputs, program, c1);
        const second = await runBatches(inputs, program, c2);
        expect(second).toEqual(first);
        expect(first).toEqual(await runBatches(inputs, program, { partitions: 1, workers: 1 }));
      }),
      { numRuns: RUNS },
    );
  });
});
