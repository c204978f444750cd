import fc from 'fast-check';
import { StreamingContext } from '../../../src/engine/api';
import {
  bucketRows,
  CorruptDataError,
  decodeRows,
  decodeShuffleHeader,
  encodeRows,
  encodeShuffleFile,
  headerLength,
  InvalidTaskSpecError,
  parseTaskSpec,
  runTask,
  type TaskSpec,
} from '../../../src/engine/exec';
import { MemoryStore } from '../../../src/engine/io/memory-store';
import {
  type Aggregator,
  type LineageNode,
  type ShuffleDependency,
  UnknownNodeError,
} from '../../../src/engine/plan';
import { runBatches } from '../../../src/engine/testing';
import { canonicalJson, hashKey, keyIdentity, partitionOf } from '../../../src/engine/util/hash';
import { rejection } from './helpers';

const VALID: TaskSpec = {
  v: 1,
  job: 'wordcount',
  zeroTime: 0,
  batchTime: 1000,
  kind: 'result',
  node: 's2.0@1000',
  partition: 0,
  attempt: 0,
};

function without(key: keyof TaskSpec): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...VALID };
  delete copy[key];
  return copy;
}

describe('parseTaskSpec', () => {
  it('accepts a row limit on a result description (take) and refuses it on other kinds', () => {
    const limited = { ...VALID, limit: 5 };
    expect(parseTaskSpec(limited)).toEqual(limited);
    const error = rejection({ ...VALID, kind: 'shuffleMap', shuffle: 0, limit: 5 });
    expect(error.context.field).toBe('limit');
    expect(rejection({ ...VALID, limit: -1 }).context.field).toBe('limit');
  });

  it('accepts a well-formed description of each kind and returns it unchanged', () => {
    expect(parseTaskSpec(VALID)).toEqual(VALID);
    const shuffleMap = { ...VALID, kind: 'shuffleMap', shuffle: 0 };
    expect(parseTaskSpec(shuffleMap)).toEqual(shuffleMap);
    const sink = { ...VALID, kind: 'sink', output: 1, inputs: { offsets: { 'a~0': [[12, 20, 30]] } } };
    expect(parseTaskSpec(sink)).toEqual(sink);
  });

  it.each<[string, unknown, string]>([
    ['a missing job', without('job'), 'job'],
    ['an empty job', { ...VALID, job: '' }, 'job'],
    ['partition as a string', { ...VALID, partition: '0' }, 'partition'],
    ['a negative partition', { ...VALID, partition: -1 }, 'partition'],
    ['a fractional partition', { ...VALID, partition: 0.5 }, 'partition'],
    ['an unknown kind', { ...VALID, kind: 'explode' }, 'kind'],
    ['shuffleMap without shuffle', { ...VALID, kind: 'shuffleMap' }, 'shuffle'],
    ['sink without output', { ...VALID, kind: 'sink' }, 'output'],
    ['a wrong version', { ...VALID, v: 2 }, 'v'],
    ['a missing version', without('v'), 'v'],
    ['a missing node', without('node'), 'node'],
    ['a zero batch time', { ...VALID, batchTime: 0 }, 'batchTime'],
    ['a negative attempt', { ...VALID, attempt: -1 }, 'attempt'],
    [
      'a negative shuffle offset',
      { ...VALID, inputs: { offsets: { s: [[1, -2]] } } },
      'inputs.offsets.s.0.1',
    ],
  ])('rejects %s, naming the field in the message and in context.field', (_what, input, field) => {
    const error = rejection(input);
    expect(error.message).toMatch(/^invalid task description: /);
    expect(error.message).toContain(`field '${field}'`);
    expect(error.context.field).toBe(field);
    expect(error.context.problems).toEqual(expect.arrayContaining([expect.stringContaining(`'${field}'`)]));
  });

  it('lists every problem when several fields are wrong', () => {
    const error = rejection({ ...VALID, partition: -1, kind: 'shuffleMap', job: 7 });
    expect(error.message).toContain("field 'job'");
    expect(error.message).toContain("field 'partition'");
    expect(error.context.problems as string[]).toHaveLength(2);
  });

  it('rejects an extra unknown field, naming it in the message', () => {
    const error = rejection({ ...VALID, code: 'x => x' });
    expect(error.message).toContain('code');
    expect(error.message).toMatch(/unrecognized key/i);
  });

  // zod reports an unknown field at the object's path with its name in `issue.keys`; the field named in
  // the error must still be the extra one, not the root.
  it('rejects an extra unknown field, naming it in context.field', () => {
    const error = rejection({ ...VALID, code: 'x => x' });
    expect(error.context.field).toBe('code');
  });

  it.each([null, undefined, 'a string', 42, []])('rejects %p as a task description', (input) => {
    expect(() => parseTaskSpec(input)).toThrow(InvalidTaskSpecError);
  });
});

describe('runTask', () => {
  it.each<[string, unknown]>([
    ['a missing job', without('job')],
    ['partition as a string', { ...VALID, partition: '1' }],
    ['shuffleMap without shuffle', { ...VALID, kind: 'shuffleMap' }],
    ['an extra field', { ...VALID, extra: true }],
  ])('rejects %s with InvalidTaskSpecError before loading the job', async (_what, input) => {
    const graphFor = jest.fn();
    await expect(runTask(input, { store: new MemoryStore(), graphFor })).rejects.toBeInstanceOf(
      InvalidTaskSpecError,
    );
    expect(graphFor).not.toHaveBeenCalled();
  });

  it('rejects a node the job does not produce with UnknownNodeError', async () => {
    const ssc = new StreamingContext({ batchInterval: 1000, name: 'wordcount' });
    ssc.queueStream([[1]]).foreachBatch(() => undefined);
    const error = await runTask(
      { ...VALID, node: 's9.9@1000' },
      { store: new MemoryStore(), graphFor: () => ssc.graph },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownNodeError);
    expect((error as Error).message).toMatch(/s9\.9@1000 .*same job code/);
  });

  it('computes a result partition from the input block the coordinator wrote', async () => {
    const ssc = new StreamingContext({ batchInterval: 1000, partitions: 1, name: 'wordcount' });
    const doubled = ssc.queueStream<number>([[1]]).map((x) => x * 2);
    doubled.foreachBatch(() => undefined);
    const store = new MemoryStore();
    const node = doubled.node.getOrCompute(1000)!.node;
    await store.put('batches/000000000001000/input/s0/0', encodeRows([1, 2, 3]));
    const result = await runTask({ ...VALID, node: node.id }, { store, graphFor: () => ssc.graph });
    expect(result).toMatchObject({ kind: 'result', node: node.id, partition: 0, rows: 3 });
    const bytes = await store.get(`batches/000000000001000/result/${node.keyName}/0`);
    expect(decodeRows(bytes!, 'result')).toEqual([2, 4, 6]);
  });
});

describe('row codec', () => {
  it('round-trips strings, numbers, nested tuples, null, undefined and unicode', () => {
    const rows = [
      'plain',
      '',
      'ünïcödé ✓ 日本語 😀 👩‍👩‍👧',
      0,
      -1,
      42,
      3.25,
      -1e-300,
      Number.MAX_SAFE_INTEGER,
      2 ** 40,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      null,
      undefined,
      true,
      ['word', 1],
      ['k', ['nested', [null, undefined, ['deep', 3]]]],
      [],
    ];
    expect(decodeRows(encodeRows(rows), 'rows')).toEqual(rows);
  });

  it('keeps undefined distinct from null and holes', () => {
    const decoded = decodeRows(encodeRows([undefined, null, [undefined]]), 'rows');
    expect(decoded[0]).toBeUndefined();
    expect(decoded[1]).toBeNull();
    expect(decoded[2]).toEqual([undefined]);
    expect(decoded).toHaveLength(3);
  });

  it('round-trips arbitrary rows of strings, numbers and tuples', () => {
    const scalar = fc.oneof(
      fc.string({ unit: 'grapheme' }),
      fc.integer(),
      fc.double().filter((d) => !Object.is(d, -0)),
      fc.constant(null),
      fc.constant(undefined),
      fc.boolean(),
    );
    const row = fc.oneof(scalar, fc.tuple(scalar, scalar), fc.tuple(fc.string(), fc.array(scalar)));
    fc.assert(
      fc.property(fc.array(row), (rows) => {
        expect(decodeRows(encodeRows(rows), 'rows')).toEqual(rows);
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips an empty partition', () => {
    expect(decodeRows(encodeRows([]), 'empty')).toEqual([]);
  });

  // With `mapsAsObjects: false` a msgpack map would decode as a JS Map; plain-object rows must come back
  // as plain objects, as the codec promises for every JSON value.
  it('round-trips plain-object rows as plain objects', () => {
    const rows = [{ a: 1, b: 'x' }, ['k', { nested: { deep: [1, 2] } }]];
    expect(decodeRows(encodeRows(rows), 'rows')).toEqual(rows);
  });

  // Same bug seen end to end: input blocks go through the codec, so `o.a` is undefined in the task.
  it('lets a map function read fields of object records', async () => {
    const out = await runBatches(
      [
        [
          { a: 1, b: 'x' },
          { a: 2, b: 'y' },
        ],
      ],
      (s) => s.map((o) => o.a),
      {
        partitions: 1,
      },
    );
    expect(out).toEqual([[1, 2]]);
  });

  it.each<[string, Uint8Array, RegExp]>([
    ['truncated bytes', encodeRows(['hello world', 1, 2]).slice(0, 5), /^cannot decode part-7: /],
    ['no bytes at all', new Uint8Array(0), /^cannot decode part-7: /],
    ['bytes left over after a value', new Uint8Array([0xff, 0xff]), /^cannot decode part-7: /],
    ['a value that is not an array', new Uint8Array([0x2a]), /^part-7 does not hold an array of rows$/],
  ])('reports %s as CorruptDataError naming what was read', (_what, bytes, message) => {
    let error: unknown;
    try {
      decodeRows(bytes, 'part-7');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CorruptDataError);
    expect((error as Error).message).toMatch(message);
    expect((error as CorruptDataError).context).toEqual({ what: 'part-7' });
  });
});

describe('shuffle files', () => {
  const buckets = [
    [['a', 1]],
    [],
    [
      ['b', 2],
      ['c', [3, 'ü']],
    ],
    [[null, undefined]],
  ];

  it('writes a header of offsets followed by one decodable segment per bucket', () => {
    const { bytes, offsets } = encodeShuffleFile(buckets);
    expect(offsets).toHaveLength(buckets.length + 1);
    expect(offsets[0]).toBe(headerLength(buckets.length));
    expect(offsets[offsets.length - 1]).toBe(bytes.length);
    expect(decodeShuffleHeader(bytes, 'f')).toEqual(offsets);
    buckets.forEach((rows, i) => {
      expect(decodeRows(bytes.slice(offsets[i], offsets[i + 1]), `segment ${i}`)).toEqual(rows);
    });
  });

  it('decodes the header from just the header bytes, also at a non-zero byte offset', () => {
    const { bytes, offsets } = encodeShuffleFile(buckets);
    expect(decodeShuffleHeader(bytes.slice(0, headerLength(buckets.length)), 'head')).toEqual(offsets);
    const padded = new Uint8Array(bytes.length + 3);
    padded.set(bytes, 3);
    expect(decodeShuffleHeader(padded.subarray(3), 'padded')).toEqual(offsets);
  });

  it('round-trips arbitrary buckets', () => {
    const row = fc.tuple(
      fc.string({ unit: 'grapheme' }),
      fc.oneof(fc.integer(), fc.string(), fc.constant(null)),
    );
    fc.assert(
      fc.property(fc.array(fc.array(row), { minLength: 1, maxLength: 8 }), (input) => {
        const { bytes, offsets } = encodeShuffleFile(input);
        expect(decodeShuffleHeader(bytes, 'f')).toEqual(offsets);
        input.forEach((rows, i) => {
          expect(decodeRows(bytes.subarray(offsets[i], offsets[i + 1]), 's')).toEqual(rows);
        });
      }),
      { numRuns: 200 },
    );
  });

  it.each<[string, Uint8Array, RegExp]>([
    ['an empty file', new Uint8Array(0), /^shuffle\/x is not a shuffle file$/],
    [
      'a row partition instead of a shuffle file',
      encodeRows([1, 2, 3, 4, 5, 6, 7, 8]),
      /is not a shuffle file$/,
    ],
    ['a truncated header', encodeShuffleFile(buckets).bytes.slice(0, 12), /^shuffle\/x has a short header$/],
  ])('reports %s as CorruptDataError', (_what, bytes, message) => {
    expect(() => decodeShuffleHeader(bytes, 'shuffle/x')).toThrow(CorruptDataError);
    expect(() => decodeShuffleHeader(bytes, 'shuffle/x')).toThrow(message);
  });
});

function hashDep(partitions: number, combine?: Aggregator<unknown, unknown>): ShuffleDependency {
  return {
    kind: 'shuffle',
    id: 'test~0',
    keyName: 'test~0',
    time: 1000,
    parent: {} as LineageNode<unknown>,
    partitions,
    partitionBy: 'hash',
    mapSideCombine: combine,
    operator: 'reduceByKey',
  };
}

const sum: Aggregator<unknown, unknown> = {
  createCombiner: (v) => v,
  mergeValue: (c, v) => (c as number) + (v as number),
  mergeCombiners: (a, b) => (a as number) + (b as number),
};

/** The same value with object keys inserted in reverse order, all the way down. */
function reordered(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reordered);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .reverse()
      .map((k) => [k, reordered((value as Record<string, unknown>)[k])]),
  );
}

describe('hash partitioning', () => {
  it('bucketRows is deterministic and puts every row in the bucket partitionOf names', () => {
    const key = fc.oneof(fc.string(), fc.integer(), fc.tuple(fc.string(), fc.integer()), fc.boolean());
    fc.assert(
      fc.property(fc.array(fc.tuple(key, fc.integer())), fc.integer({ min: 1, max: 7 }), (pairs, n) => {
        const dep = hashDep(n);
        const first = bucketRows(dep, pairs, 0);
        expect(bucketRows(dep, structuredClone(pairs), 3)).toEqual(first);
        expect(first).toHaveLength(n);
        first.forEach((bucket, b) => {
          for (const row of bucket as [unknown, unknown][]) expect(partitionOf(row[0], n)).toBe(b);
        });
        expect(first.flat()).toHaveLength(pairs.length);
      }),
      { numRuns: 200 },
    );
  });

  it('puts equal array and object keys in the same bucket whatever their key order', () => {
    const dep = hashDep(16);
    const rows = [
      [['user', 7], 1],
      [{ x: 1, y: [2, { p: 1, q: 2 }] }, 2],
      [['user', 7], 3],
      [{ y: [2, { q: 2, p: 1 }], x: 1 }, 4],
    ];
    const buckets = bucketRows(dep, rows, 0);
    const bucketOf = (value: number) =>
      buckets.findIndex((b) => b.some((r) => (r as unknown[])[1] === value));
    expect(bucketOf(1)).toBe(bucketOf(3));
    expect(bucketOf(2)).toBe(bucketOf(4));
  });

  it('combines equal keys on the map side, treating reordered object keys as one key', () => {
    const dep = hashDep(4, sum);
    const rows = [
      [{ a: 1, b: 2 }, 10],
      [{ b: 2, a: 1 }, 5],
      [['t', 1], 1],
      [['t', 1], 2],
      ['t', 100],
    ];
    const combined = bucketRows(dep, rows, 0).flat() as [unknown, number][];
    expect(combined).toHaveLength(3);
    expect(combined.find(([k]) => typeof k === 'object' && !Array.isArray(k))?.[1]).toBe(15);
    expect(combined.find(([k]) => Array.isArray(k))?.[1]).toBe(3);
    expect(combined.find(([k]) => k === 't')?.[1]).toBe(100);
  });

  it('round robin keeps every row and spreads them evenly', () => {
    const dep = { ...hashDep(3), partitionBy: 'roundRobin' as const };
    const buckets = bucketRows(dep, [1, 2, 3, 4, 5, 6, 7], 1);
    expect(buckets.map((b) => b.length)).toEqual([2, 3, 2]);
    expect(buckets.flat().sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('hashKey, partitionOf and keyIdentity agree for equal arrays and reordered objects', () => {
    const value = fc.jsonValue();
    fc.assert(
      fc.property(value, fc.integer({ min: 1, max: 64 }), (v, n) => {
        const copy = reordered(structuredClone(v));
        expect(hashKey(copy)).toBe(hashKey(v));
        expect(partitionOf(copy, n)).toBe(partitionOf(v, n));
        expect(keyIdentity(copy)).toBe(keyIdentity(v));
        expect(partitionOf(v, n)).toBeGreaterThanOrEqual(0);
        expect(partitionOf(v, n)).toBeLessThan(n);
      }),
      { numRuns: 300 },
    );
  });

  it('gives equal results for separately built equal keys and distinguishes different ones', () => {
    expect(hashKey(['a', 1, { z: 1, y: 2 }])).toBe(hashKey(['a', 1, { y: 2, z: 1 }]));
    expect(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }] })).toBe('{"a":[{"c":2,"d":1}],"b":1}');
    expect(hashKey(['a', 1])).not.toBe(hashKey([1, 'a']));
    expect(keyIdentity(['a', 1])).not.toBe(keyIdentity(['a', '1']));
    expect(hashKey(1)).toBe(hashKey(1.0));
    expect(hashKey(0)).toBe(hashKey(-0));
  });
});
