/**
 * Sibling shuffles over one parent written by one set of tasks (the parent partition is computed once
 * and every shuffle's file is written from it), map-side grouping of state shuffles, and persisted
 * partitions saved in the background but still awaited before a task reports success.
 */
import fc from 'fast-check';
import { StreamingContext } from '../../../src/engine/api';
import {
  bucketPartitionForEach,
  bucketRows,
  decodeRows,
  ExecError,
  encodeRows,
  parseTaskSpec,
  runTask,
  type TaskSpec,
} from '../../../src/engine/exec';
import { MemoryStore } from '../../../src/engine/io/memory-store';
import {
  type Aggregator,
  type LineageNode,
  type Pair,
  type ShuffleDependency,
  shuffleFileKey,
  type TaskContext,
} from '../../../src/engine/plan';
import { type BatchManifest, readManifest } from '../../../src/engine/schedule';
import { chainMessages, listManifests, runContext } from '../coordinator/helpers';
import { sortedMultiset } from '../operations/helpers';
import { rejection } from './helpers';

type WordCount = Pair<string, number>;

const sum = (a: number, b: number) => a + b;

/** Collects every batch of `rdd` by batch time. */
function collectInto<T>(outputs: Map<number, T[]>) {
  return async (rdd: { collect(): Promise<T[]> }, time: number) => {
    outputs.set(time, await rdd.collect());
  };
}

function shuffleMapStages(manifest: BatchManifest | undefined) {
  return manifest!.stages.filter((s) => s.kind === 'shuffleMap');
}

/** `[word, occurrences]` in order of first occurrence. */
function countWords(words: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const w of words) counts.set(w, (counts.get(w) ?? 0) + 1);
  return counts;
}

describe('sibling shuffles over one parent', () => {
  const BATCHES = [
    ['a', 'b', 'a', 'c', 'b', 'a', 'd'],
    ['b', 'e', 'b'],
  ];
  const RECORDS = BATCHES.flat().length;

  it('computes a stream feeding two shuffles once per record and writes both shuffles from one task', async () => {
    let mapCalls = 0;
    const ssc = new StreamingContext({ batchInterval: 1000, partitions: 2, name: 'fused' });
    const pairs = ssc.queueStream(BATCHES).map((w) => {
      mapCalls++;
      return [w, 1] as WordCount;
    });
    const outputs = new Map<number, Pair<string, [number, number[]]>[]>();
    pairs.reduceByKey(sum, 3).join(pairs.groupByKey(3), 3).foreachBatch(collectInto(outputs));

    // Map outputs too big to send back are written to the store: here, all of them.
    const { store, error } = await runContext(ssc, {
      batches: BATCHES.length,
      exchange: { inlineBytes: 0 },
    });

    expect(error).toBeUndefined();
    BATCHES.forEach((words, i) => {
      const expected = [...countWords(words)].map(
        ([w, n]): Pair<string, [number, number[]]> => [w, [n, Array(n).fill(1)]],
      );
      expect(sortedMultiset(outputs.get((i + 1) * 1000)!)).toEqual(sortedMultiset(expected));
    });
    // Not twice per record, as two separate shuffle-map stages would compute it.
    expect(mapCalls).toBe(RECORDS);
    for (const [i, words] of BATCHES.entries()) {
      const time = (i + 1) * 1000;
      const stages = shuffleMapStages(await readManifest(store, time));
      expect(stages).toHaveLength(1);
      const [stage] = stages;
      expect(stage.operator.split(' + ').sort()).toEqual(['groupByKey', 'reduceByKey']);
      expect(stage.alsoWrites).toHaveLength(1);
      expect(stage.alsoWrites![0]).not.toBe(stage.id);
      expect(stage.alsoWrites![0]).toMatch(/^shuffle:/);
      // One task per map partition wrote both files, and read each parent row once.
      expect(stage).toMatchObject({ partitions: 2, attempts: 2, rows: words.length, location: 'tasks' });
    }
    // Both shuffles' files of the last batch are there: two shuffles x two map partitions.
    const files = await store.list('batches/000000000002000/shuffle/');
    expect(files).toHaveLength(4);
  });

  it('writes both sides of a stream cogrouped with itself from one task', async () => {
    let mapCalls = 0;
    const ssc = new StreamingContext({ batchInterval: 1000, partitions: 2, name: 'self-cogroup' });
    const pairs = ssc.queueStream(BATCHES).map((w) => {
      mapCalls++;
      return [w, w.length] as WordCount;
    });
    const outputs = new Map<number, Pair<string, [number[], number[]]>[]>();
    pairs.cogroup(pairs, 3).foreachBatch(collectInto(outputs));

    const { store, error } = await runContext(ssc, { batches: BATCHES.length });

    expect(error).toBeUndefined();
    expect(mapCalls).toBe(RECORDS);
    BATCHES.forEach((words, i) => {
      const expected = [...countWords(words)].map(
        ([w, n]): Pair<string, [number[], number[]]> => [
          w,
          [Array(n).fill(w.length), Array(n).fill(w.length)],
        ],
      );
      expect(sortedMultiset(outputs.get((i + 1) * 1000)!)).toEqual(sortedMultiset(expected));
    });
    const [stage, ...others] = shuffleMapStages(await readManifest(store, 1000));
    expect(others).toEqual([]);
    expect(stage.operator).toBe('cogroup + cogroup');
    expect(stage.alsoWrites).toHaveLength(1);
  });

  it('does not run a fused shuffle again for a later output that reads one of its shuffles', async () => {
    let mapCalls = 0;
    const ssc = new StreamingContext({ batchInterval: 1000, partitions: 2, name: 'fused-reuse' });
    const pairs = ssc.queueStream(BATCHES).map((w) => {
      mapCalls++;
      return [w, 1] as WordCount;
    });
    const counts = pairs.reduceByKey(sum, 2);
    const joined = new Map<number, Pair<string, [number, number[]]>[]>();
    const alone = new Map<number, WordCount[]>();
    counts.join(pairs.groupByKey(2), 2).foreachBatch(collectInto(joined));
    counts.foreachBatch(collectInto(alone));

    const { store, error } = await runContext(ssc, { batches: BATCHES.length });

    expect(error).toBeUndefined();
    expect(mapCalls).toBe(RECORDS);
    BATCHES.forEach((words, i) => {
      expect(sortedMultiset(alone.get((i + 1) * 1000)!)).toEqual(sortedMultiset([...countWords(words)]));
      expect(joined.get((i + 1) * 1000)).toHaveLength(countWords(words).size);
    });
    const manifest = await readManifest(store, 1000);
    expect(shuffleMapStages(manifest)).toHaveLength(1);
    expect(manifest!.stages.filter((s) => s.kind === 'result')).toHaveLength(2);
  });

  it('runs shuffles of different parents as separate stages', async () => {
    const ssc = new StreamingContext({ batchInterval: 1000, partitions: 2, name: 'unfused' });
    const words = ssc.queueStream(BATCHES);
    const ones = words.map((w) => [w, 1] as WordCount);
    const lengths = words.map((w) => [w, w.length] as WordCount);
    const outputs = new Map<number, Pair<string, [number, number[]]>[]>();
    ones.reduceByKey(sum, 3).join(lengths.groupByKey(3), 3).foreachBatch(collectInto(outputs));

    const { store, error } = await runContext(ssc, { batches: 1 });

    expect(error).toBeUndefined();
    const expected = [...countWords(BATCHES[0])].map(
      ([w, n]): Pair<string, [number, number[]]> => [w, [n, Array(n).fill(w.length)]],
    );
    expect(sortedMultiset(outputs.get(1000)!)).toEqual(sortedMultiset(expected));
    const stages = shuffleMapStages(await readManifest(store, 1000));
    expect(stages.map((s) => s.operator).sort()).toEqual(['groupByKey', 'reduceByKey']);
    expect(stages.every((s) => s.alsoWrites === undefined)).toBe(true);
  });
});

describe('a reduce function that mutates its first argument', () => {
  /** Values are one-element arrays [sequence number]; a key's first value is what the reducer mutates. */
  const INPUT = [['a', 'b', 'a', 'a', 'c', 'b', 'a']];
  const numbered = () => INPUT.map((batch) => batch.map((w, i): Pair<string, number[]> => [w, [i]]));
  const concatInPlace = (a: number[], b: number[]) => {
    a.push(...b);
    return a;
  };
  const sumOfFirst = (a: number[], b: number[]) => [a[0] + b[0]];

  /** Per key: every sequence number (sorted), their sum, and the grouped values. */
  function reference() {
    const seqs = new Map<string, number[]>();
    INPUT[0].forEach((w, i) => {
      seqs.set(w, [...(seqs.get(w) ?? []), i]);
    });
    return seqs;
  }

  it.each([
    ['the mutating reducer first', true],
    ['the mutating reducer second', false],
  ])(
    'keeps two reducers over one parent apart, even when one mutates its first argument (%s)',
    async (_what, mutatingFirst) => {
      const ssc = new StreamingContext({ batchInterval: 1000, partitions: 2, name: 'mutating' });
      const pairs = ssc.queueStream(numbered()).map((pair) => pair);
      const concatenated = pairs.reduceByKey(concatInPlace, 2);
      const summed = pairs.reduceByKey(sumOfFirst, 2);
      const outputs = new Map<number, Pair<string, [number[], number[]]>[]>();
      (mutatingFirst ? concatenated.join(summed, 2) : summed.join(concatenated, 2)).foreachBatch(
        collectInto(outputs),
      );

      const { store, error } = await runContext(ssc, { batches: 1 });

      expect(error).toBeUndefined();
      // Two user reducers each need the rows as computed, so their shuffles are not fused.
      const stages = shuffleMapStages(await readManifest(store, 1000));
      expect(stages).toHaveLength(2);
      expect(stages.every((s) => s.alsoWrites === undefined)).toBe(true);
      const actual = new Map(
        outputs.get(1000)!.map(([key, [x, y]]) => {
          const [all, total] = mutatingFirst ? [x, y] : [y, x];
          return [key, { all: [...all].sort((p, q) => p - q), total }];
        }),
      );
      const expected = new Map(
        [...reference()].map(([key, seqs]) => [key, { all: seqs, total: [seqs.reduce(sum, 0)] }]),
      );
      expect(actual).toEqual(expected);
    },
  );

  // A reduceByKey whose reducer pushes into its first argument must not change what a groupByKey over
  // the same parent, written by the same task, sees.
  it.each([
    ['reduceByKey joined with groupByKey', true],
    ['groupByKey joined with reduceByKey', false],
  ])(
    'keeps a groupByKey over the same parent unchanged by a reducer that mutates its first argument (%s)',
    async (_what, reduceFirst) => {
      const ssc = new StreamingContext({ batchInterval: 1000, partitions: 1, name: 'mutating-group' });
      const pairs = ssc.queueStream(numbered()).map((pair) => pair);
      const concatenated = pairs.reduceByKey(concatInPlace, 2);
      const grouped = pairs.groupByKey(2);
      const outputs = new Map<number, Pair<string, [number[], number[][]]>[]>();
      const joined = reduceFirst
        ? concatenated.join(grouped, 2)
        : grouped.join(concatenated, 2).mapValues(([g, c]): [number[], number[][]] => [c, g]);
      joined.foreachBatch(collectInto(outputs));

      const { error } = await runContext(ssc, { batches: 1 });

      expect(error).toBeUndefined();
      const actual = new Map(outputs.get(1000)!.map(([key, [all, groups]]) => [key, { all, groups }]));
      const expected = new Map(
        [...reference()].map(([key, seqs]) => [key, { all: seqs, groups: seqs.map((s) => [s]) }]),
      );
      expect(actual).toEqual(expected);
    },
  );
});

describe('a fused user reducer and its siblings', () => {
  const words = ['a', 'a', 'a', 'b'];

  it('keeps the values a groupByKey sees when the reducer folds into its second argument', async () => {
    const ssc = new StreamingContext({ batchInterval: 1000, partitions: 1, name: 'fold-second' });
    const pairs = ssc.queueStream([words]).map((w): Pair<string, { n: number }> => [w, { n: 1 }]);
    const summed = pairs.reduceByKey((a, b) => {
      b.n += a.n;
      return b;
    }, 2);
    const outputs = new Map<number, Pair<string, [{ n: number }, { n: number }[]]>[]>();
    summed.join(pairs.groupByKey(2), 2).foreachBatch(collectInto(outputs));

    const { store, error } = await runContext(ssc, { batches: 1 });

    expect(error).toBeUndefined();
    expect(shuffleMapStages(await readManifest(store, 1000))[0].alsoWrites).toHaveLength(1);
    expect(new Map(outputs.get(1000))).toEqual(
      new Map([
        ['a', [{ n: 3 }, [{ n: 1 }, { n: 1 }, { n: 1 }]]],
        ['b', [{ n: 1 }, [{ n: 1 }]]],
      ]),
    );
  });

  it('hands the reducer the values as computed, class instances included', async () => {
    class Tally {
      constructor(public n: number) {}
      add(other: Tally): Tally {
        return new Tally(this.n + other.n);
      }
    }
    const ssc = new StreamingContext({ batchInterval: 1000, partitions: 1, name: 'instances' });
    const pairs = ssc.queueStream([words]).map((w): Pair<string, Tally> => [w, new Tally(1)]);
    const summed = pairs.reduceByKey((a, b) => a.add(b), 2).mapValues((t) => t.n);
    const outputs = new Map<number, Pair<string, [number, number]>[]>();
    summed
      .join(
        pairs.groupByKey(2).mapValues((ts) => ts.length),
        2,
      )
      .foreachBatch(collectInto(outputs));

    const { error } = await runContext(ssc, { batches: 1 });

    expect(error).toBeUndefined();
    expect(new Map(outputs.get(1000))).toEqual(
      new Map([
        ['a', [3, 3]],
        ['b', [1, 1]],
      ]),
    );
  });
});

describe('bucketPartitionForEach', () => {
  function hashDep(
    id: string,
    parent: LineageNode<unknown>,
    combine?: Aggregator<any, any>,
  ): ShuffleDependency {
    return {
      kind: 'shuffle',
      id,
      keyName: id,
      time: 1000,
      parent,
      partitions: 3,
      partitionBy: 'hash',
      mapSideCombine: combine,
      operator: combine ? 'reduceByKey' : 'groupByKey',
    };
  }

  /** A parent node that emits `rows` for any partition and counts how often it was computed. */
  function parentOf(rows: unknown[]) {
    const parent = {
      id: 'parent@1000',
      numPartitions: 1,
      computed: 0,
      async forEach(_partition: number, _ctx: TaskContext, emit: (row: unknown) => void) {
        parent.computed++;
        for (const row of rows) emit(row);
      },
    };
    return parent;
  }

  const sumAggregator: Aggregator<number, number> = {
    createCombiner: (v) => v,
    mergeValue: sum,
    mergeCombiners: sum,
  };
  const maxAggregator: Aggregator<number, number> = {
    createCombiner: (v) => v,
    mergeValue: Math.max,
    mergeCombiners: Math.max,
  };

  it('computes the parent once and buckets each shuffle as it would alone', async () => {
    const rows = [
      ['a', 1],
      ['b', 5],
      [['k', 1], 2],
      ['a', 7],
      [{ y: 1, x: 2 }, 3],
      ['b', 1],
      [{ x: 2, y: 1 }, 4],
    ];
    const parent = parentOf(rows);
    const node = parent as unknown as LineageNode<unknown>;
    const deps = [
      hashDep('sum~0', node, sumAggregator),
      hashDep('group~0', node),
      hashDep('max~0', node, maxAggregator),
    ];

    const { buckets, rows: count } = await bucketPartitionForEach(deps, 0, {} as TaskContext);

    expect(parent.computed).toBe(1);
    expect(count).toBe(rows.length);
    expect(buckets).toHaveLength(3);
    deps.forEach((dep, i) => {
      expect(buckets[i]).toEqual(bucketRows(dep, structuredClone(rows), 0));
    });
    expect(buckets[0].flat()).toEqual(
      expect.arrayContaining([
        ['a', 8],
        ['b', 6],
        [{ y: 1, x: 2 }, 7],
      ]),
    );
    expect(buckets[2].flat()).toEqual(expect.arrayContaining([['a', 7]]));
  });

  it('gives every writer but the first its own copy of object values when any of them combines', async () => {
    const rows: Pair<string, number[]>[] = [
      ['a', [1]],
      ['a', [2]],
      ['a', [3]],
    ];
    const node = parentOf(rows) as unknown as LineageNode<unknown>;
    const inPlace: Aggregator<number[], number[]> = {
      createCombiner: (v) => v,
      mergeValue: (c, v) => {
        c.push(...v);
        return c;
      },
      mergeCombiners: (c, v) => {
        c.push(...v);
        return c;
      },
    };
    const firstOnly: Aggregator<number[], number[]> = {
      createCombiner: (v) => v,
      mergeValue: (c) => c,
      mergeCombiners: (c) => c,
    };

    const { buckets } = await bucketPartitionForEach(
      [hashDep('concat~0', node, inPlace), hashDep('first~0', node, firstOnly)],
      0,
      {} as TaskContext,
    );

    expect(buckets[0].flat()).toEqual([['a', [1, 2, 3]]]);
    expect(buckets[1].flat()).toEqual([['a', [1]]]);
  });

  it('leaves the rows of a non-combining writer unchanged by a combining writer that mutates values', async () => {
    const rows: Pair<string, number[]>[] = [
      ['a', [1]],
      ['a', [2]],
    ];
    const node = parentOf(rows) as unknown as LineageNode<unknown>;
    const inPlace: Aggregator<number[], number[]> = {
      createCombiner: (v) => v,
      mergeValue: (c, v) => {
        c.push(...v);
        return c;
      },
      mergeCombiners: (c, v) => c.concat(v),
    };

    const { buckets } = await bucketPartitionForEach(
      [hashDep('concat~0', node, inPlace), hashDep('group~0', node)],
      0,
      {} as TaskContext,
    );

    expect(buckets[1].flat()).toEqual([
      ['a', [1]],
      ['a', [2]],
    ]);
  });
});

describe('state and windows over one stream', () => {
  type Row = [string, string, unknown];
  type Numbered = Pair<string, number>;

  /** What the job below should output per batch, computed record by record. */
  function reference(batches: Numbered[][]): Row[][] {
    const counts = new Map<string, number>();
    const seen = new Map<string, number[]>();
    return batches.map((batch, i) => {
      const rows: Row[] = [];
      for (const [w, seq] of batch) {
        counts.set(w, (counts.get(w) ?? 0) + 1);
        seen.set(w, [...(seen.get(w) ?? []), seq]);
        rows.push(['emit', w, [seq, seen.get(w)!.length]]);
      }
      for (const [w, n] of counts) rows.push(['count', w, n]);
      for (const [w, seqs] of seen) rows.push(['seen', w, seqs]);
      const window = new Map<string, number>();
      for (const [w, seq] of [...(batches[i - 1] ?? []), ...batch]) window.set(w, (window.get(w) ?? 0) + seq);
      for (const [w, total] of window) rows.push(['window', w, total]);
      return rows;
    });
  }

  it('gives the naive result, values in arrival order, with all shuffles of the stream written by one task', async () => {
    const word = fc.constantFrom('a', 'b', 'c', 'd', 'e');
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(word, { maxLength: 10 }), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 4 }),
        async (words, partitions) => {
          // Each record carries its position in the whole input: arrival order is increasing order.
          let next = 0;
          const batches = words.map((batch) => batch.map((w): Numbered => [w, next++]));
          let mapCalls = 0;
          const ssc = new StreamingContext({ batchInterval: 1000, partitions, name: 'state-window' });
          const pairs = ssc.queueStream(batches).map(([w, seq]): Numbered => {
            mapCalls++;
            return [w, seq];
          });
          const counts = pairs.updateStateByKey<string, number, number>(
            (values, count) => (count ?? 0) + values.length,
          );
          const seen = pairs.updateStateByKey<string, number, number[]>((values, earlier) => [
            ...(earlier ?? []),
            ...values,
          ]);
          const emitted = pairs.mapWithState<string, number, number[], Row>((w, seq, state) => {
            const all = [...(state.getOption() ?? []), seq!];
            state.update(all);
            return ['emit', w, [seq, all.length]];
          });
          const window = pairs.reduceByKeyAndWindow(sum, { window: 2000, slide: 1000 });
          const outputs = new Map<number, Row[]>();
          counts
            .map(([w, n]): Row => ['count', w, n])
            .union(
              seen.map(([w, seqs]): Row => ['seen', w, seqs]),
              emitted,
              window.map(([w, total]): Row => ['window', w, total]),
            )
            .foreachBatch(collectInto(outputs));

          const { store, error } = await runContext(ssc, { batches: batches.length });

          expect(error).toBeUndefined();
          const actual = batches.map((_, i) => sortedMultiset(outputs.get((i + 1) * 1000) ?? []));
          expect(actual).toEqual(reference(batches).map((rows) => sortedMultiset(rows)));
          expect(mapCalls).toBe(next);
          for (const manifest of await listManifests(store)) {
            const stages = shuffleMapStages(manifest);
            expect(stages).toHaveLength(1);
            expect(stages[0].alsoWrites).toHaveLength(3);
          }
        },
      ),
      { numRuns: 20 },
    );
  });
});

describe('runTask with alsoShuffles', () => {
  function wordJob() {
    let mapCalls = 0;
    const ssc = new StreamingContext({ batchInterval: 1000, partitions: 2, name: 'wordcount' });
    const pairs = ssc.queueStream<string>([['unused']]).map((w) => {
      mapCalls++;
      return [w, 1] as WordCount;
    });
    const counts = pairs.reduceByKey(sum, 3);
    const groups = pairs.groupByKey(2);
    const other = ssc
      .queueStream<string>([['unused']])
      .map((w) => [w, 2] as WordCount)
      .groupByKey(2);
    counts.foreachBatch(() => undefined);
    groups.foreachBatch(() => undefined);
    other.foreachBatch(() => undefined);
    const nodeOf = (stream: {
      node: { getOrCompute(t: number): { node: LineageNode<unknown> } | undefined };
    }) => stream.node.getOrCompute(1000)!.node;
    return {
      ssc,
      counts: nodeOf(counts),
      groups: nodeOf(groups),
      other: nodeOf(other),
      mapCalls: () => mapCalls,
    };
  }

  const SPEC: TaskSpec = {
    v: 1,
    job: 'wordcount',
    zeroTime: 0,
    batchTime: 1000,
    kind: 'shuffleMap',
    node: 'set below',
    shuffle: 0,
    partition: 0,
    attempt: 0,
  };

  it('writes every listed shuffle from one computation of the parent and returns their offsets', async () => {
    const job = wordJob();
    const store = new MemoryStore();
    const words = ['a', 'b', 'a', 'c', 'a'];
    await store.put('batches/000000000001000/input/s0/0', encodeRows(words));

    const result = await runTask(
      { ...SPEC, node: job.counts.id, alsoShuffles: [{ node: job.groups.id, shuffle: 0 }] },
      { store, graphFor: () => job.ssc.graph },
    );

    expect(job.mapCalls()).toBe(words.length);
    expect(result).toMatchObject({ kind: 'shuffleMap', node: job.counts.id, partition: 0, rows: 5 });
    expect(result.mapOutputs).toHaveLength(2);
    expect(result.mapOutputs![0].offsets).toHaveLength(4);
    expect(result.mapOutputs![1].offsets).toHaveLength(3);
    const pairs = words.map((w): WordCount => [w, 1]);
    const written = [
      [job.counts.dependencies[0] as ShuffleDependency, result.mapOutputs![0].offsets],
      [job.groups.dependencies[0] as ShuffleDependency, result.mapOutputs![1].offsets],
    ] as const;
    for (const [dep, offsets] of written) {
      const bytes = (await store.get(shuffleFileKey(dep, 0)))!;
      const segments = Array.from({ length: dep.partitions }, (_, r) =>
        decodeRows(bytes.subarray(offsets[r], offsets[r + 1]), `segment ${r}`),
      );
      expect(segments).toEqual(bucketRows(dep, pairs, 0));
    }
  });

  it('refuses shuffles that read a different node, naming both', async () => {
    const job = wordJob();
    const store = new MemoryStore();
    await store.put('batches/000000000001000/input/s0/0', encodeRows(['a']));
    const error = await runTask(
      { ...SPEC, node: job.counts.id, alsoShuffles: [{ node: job.other.id, shuffle: 0 }] },
      { store, graphFor: () => job.ssc.graph },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExecError);
    const parentOf = (node: LineageNode<unknown>) => (node.dependencies[0] as ShuffleDependency).parent.id;
    expect((error as Error).message).toContain('cannot be written by one task');
    expect((error as Error).message).toContain(parentOf(job.counts));
    expect((error as Error).message).toContain(parentOf(job.other));
    expect(await store.list('batches/000000000001000/shuffle/')).toEqual([]);
  });
});

describe('parseTaskSpec and alsoShuffles', () => {
  const SHUFFLE_MAP = {
    v: 1,
    job: 'wordcount',
    zeroTime: 0,
    batchTime: 1000,
    kind: 'shuffleMap',
    node: 's2.0@1000',
    shuffle: 0,
    partition: 0,
    attempt: 0,
  };

  it('accepts alsoShuffles on a shuffleMap description and returns it unchanged', () => {
    const spec = {
      ...SHUFFLE_MAP,
      alsoShuffles: [
        { node: 's3.0@1000', shuffle: 0 },
        { node: 's4.1@1000', shuffle: 1 },
      ],
    };
    expect(parseTaskSpec(spec)).toEqual(spec);
    expect(parseTaskSpec({ ...SHUFFLE_MAP, alsoShuffles: [] })).toEqual({ ...SHUFFLE_MAP, alsoShuffles: [] });
  });

  it.each([
    ['result', {}],
    ['sink', { output: 0 }],
    ['materialize', {}],
  ])('rejects alsoShuffles on a %s description, naming the field', (kind, extra) => {
    const { shuffle: _shuffle, ...rest } = SHUFFLE_MAP;
    const error = rejection({ ...rest, ...extra, kind, alsoShuffles: [{ node: 's3.0@1000', shuffle: 0 }] });
    expect(error.message).toMatch(/^invalid task description: /);
    expect(error.message).toContain("field 'alsoShuffles'");
    expect(error.context.field).toBe('alsoShuffles');
  });

  it.each<[string, unknown, string]>([
    ['a negative shuffle', [{ node: 's3.0@1000', shuffle: -1 }], 'alsoShuffles.0.shuffle'],
    [
      'an empty node',
      [
        { node: 's3.0@1000', shuffle: 0 },
        { node: '', shuffle: 0 },
      ],
      'alsoShuffles.1.node',
    ],
    ['a missing shuffle', [{ node: 's3.0@1000' }], 'alsoShuffles.0.shuffle'],
    ['not a list', { node: 's3.0@1000', shuffle: 0 }, 'alsoShuffles'],
  ])('rejects alsoShuffles with %s, naming the field', (_what, alsoShuffles, field) => {
    const error = rejection({ ...SHUFFLE_MAP, alsoShuffles });
    expect(error.message).toContain(`field '${field}'`);
    expect(error.context.field).toBe(field);
  });
});

describe('background saves of persisted partitions', () => {
  /** Saves of persisted partitions land only after a while, or never (`fail`). */
  class SlowStoredStore extends MemoryStore {
    constructor(private readonly fail: boolean) {
      super();
    }

    override async put(key: string, body: Uint8Array): Promise<void> {
      if (!key.includes('/stored/')) return super.put(key, body);
      // Later than the task's own work, so only waiting for the save can see how it ends.
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (this.fail) throw new Error(`no space left for ${key}`);
      return super.put(key, body);
    }
  }

  function statefulJob(batches: string[][]) {
    const outputs = new Map<number, WordCount[]>();
    let mapCalls = 0;
    const ssc = new StreamingContext({ batchInterval: 1000, partitions: 2, name: 'stateful' });
    ssc
      .queueStream(batches)
      .map((w) => {
        mapCalls++;
        return [w, 1] as WordCount;
      })
      .updateStateByKey<string, number, number>((values, count) => (count ?? 0) + values.length)
      .foreachBatch(collectInto(outputs));
    return { ssc, outputs, mapCalls: () => mapCalls };
  }

  it('fails the task when a persisted partition cannot be saved', async () => {
    const store = new SlowStoredStore(true);
    const { ssc, outputs } = statefulJob([['a', 'b', 'a'], ['c']]);

    // State goes to the store when it does not fit in the result: here, always.
    const { error } = await runContext(ssc, {
      batches: 2,
      store,
      retry: { maxAttempts: 2 },
      exchange: { inlineBytes: 0 },
    });

    expect(error).toBeDefined();
    expect(chainMessages(error).some((m) => /no space left for batches\/\d+\/stored\//.test(m))).toBe(true);
    expect((error as Error).message).toContain('no space left');
    expect(outputs.size).toBe(0);
    const manifests = await listManifests(store);
    expect(manifests.map((m) => [m.batchTime, m.status])).toEqual([[1000, 'failed']]);
    expect(manifests[0].error?.operator).toBe('updateStateByKey');
    expect(manifests[0].error?.message).toContain('no space left');
  });

  it('reports a task done only once its persisted partitions are in the store', async () => {
    const store = new SlowStoredStore(false);
    const batches = [['a', 'b', 'a'], ['b'], ['c', 'a']];
    const { ssc, outputs, mapCalls } = statefulJob(batches);

    const { error } = await runContext(ssc, {
      batches: batches.length,
      store,
      exchange: { inlineBytes: 0 },
    });

    expect(error).toBeUndefined();
    expect(sortedMultiset(outputs.get(3000)!)).toEqual(
      sortedMultiset<WordCount>([
        ['a', 3],
        ['b', 2],
        ['c', 1],
      ]),
    );
    // Each batch found the previous state saved: nothing was lost and recomputed.
    const manifests = await listManifests(store);
    expect(manifests.map((m) => m.recovery)).toEqual([undefined, undefined, undefined]);
    expect(mapCalls()).toBe(batches.flat().length);
  });
});
