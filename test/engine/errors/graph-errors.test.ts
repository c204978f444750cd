import { type DStream, defineJob, StoreSink, StreamingContext } from '../../../src/engine/api';
import { InvalidGraphError } from '../../../src/engine/graph';
import { ManualClock } from '../../../src/engine/io/clock';
import type { Pair, RDD } from '../../../src/engine/plan';
import { BatchFailedError, readManifest } from '../../../src/engine/schedule';
import { toMillis } from '../../../src/engine/util/duration';
import { ConfigError } from '../../../src/engine/util/errors';
import { chainMessages, runContext } from '../coordinator/helpers';

const ctx = (partitions = 2) => new StreamingContext({ batchInterval: 1000, partitions, name: 'g' });

/** Runs `fn` expecting a throw and returns what it threw. */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw, nothing was thrown');
}

describe('partition counts', () => {
  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])(
    'rejects a context whose default partitions is %p, naming the option and showing a valid value',
    (partitions) => {
      const error = thrown(() => new StreamingContext({ batchInterval: 1000, partitions }));
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toContain('StreamingContext');
      expect(error.message).toContain('partitions must be a positive whole number');
      expect(error.message).toContain(`got ${partitions}`);
      expect(error.message).toMatch(/pass e\.g\. 4/);
    },
  );

  it('accepts a context with one partition and defaults to four', () => {
    expect(ctx(1).defaultPartitions).toBe(1);
    expect(new StreamingContext({ batchInterval: 1000 }).defaultPartitions).toBe(4);
  });

  it.each<[string, (s: DStream<Pair<string, number>>) => unknown]>([
    ['reduceByKey', (s) => s.reduceByKey((a, b) => a + b, 0)],
    ['repartition', (s) => s.repartition(-1)],
    ['groupByKey', (s) => s.groupByKey(2.5)],
    [
      'combineByKey',
      (s) =>
        s.combineByKey(
          (v) => v,
          (c, v) => c + v,
          (a, b) => a + b,
          0,
        ),
    ],
    ['countByValue', (s) => s.countByValue(-3)],
    ['join', (s) => s.join(s, 0)],
    ['cogroup', (s) => s.cogroup(s, 0)],
    ['leftOuterJoin', (s) => s.leftOuterJoin(s, 0)],
    ['fullOuterJoin', (s) => s.fullOuterJoin(s, 0)],
  ])('rejects a bad partition count passed to %s when the stream is defined', (operator, apply) => {
    const ssc = ctx();
    const stream = ssc.queueStream<Pair<string, number>>([]);
    const before = ssc.graph.streams.length;
    const error = thrown(() => apply(stream));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(new RegExp(`^${operator}: partitions must be a positive whole number`));
    expect((error as ConfigError).context).toMatchObject({ operator });
    // Nothing half-defined is left behind in the graph.
    expect(ssc.graph.streams.length).toBe(before);
  });

  it.each([0, -2, 0.5])('rejects an input stream with %p partitions', (partitions) => {
    const ssc = ctx();
    expect(() => ssc.queueStream([[1]], { partitions })).toThrow(
      /^input stream: partitions must be a positive whole number/,
    );
    expect(() => ssc.generatorStream({ ratePerSecond: 10, generate: (i) => i, partitions })).toThrow(
      ConfigError,
    );
    expect(ssc.graph.streams).toHaveLength(0);
  });

  it('rejects a non-positive generator rate', () => {
    expect(() => ctx().generatorStream({ ratePerSecond: 0, generate: (i) => i })).toThrow(
      /ratePerSecond must be positive, got 0/,
    );
  });

  it('fails the batch naming repartition when a transform asks for zero partitions at batch time', async () => {
    const ssc = ctx();
    ssc
      .queueStream([[1, 2]])
      .transform((rdd) => rdd.repartition(0))
      .foreachBatch(async (rdd) => {
        await rdd.collect();
      });
    const { error, store } = await runContext(ssc, { batches: 1 });
    expect(error).toBeInstanceOf(BatchFailedError);
    expect((error as BatchFailedError).operator).toBe('repartition');
    expect((error as Error).message).toMatch(/batch 1000 failed in repartition: .*positive whole number/);
    expect((await readManifest(store, 1000))?.status).toBe('failed');
  });
});

describe('streams from different contexts', () => {
  const crossContext: [
    string,
    (a: DStream<Pair<string, number>>, b: DStream<Pair<string, number>>) => unknown,
  ][] = [
    ['union', (a, b) => a.union(b)],
    ['join', (a, b) => a.join(b)],
    ['leftOuterJoin', (a, b) => a.leftOuterJoin(b)],
    ['cogroup', (a, b) => a.cogroup(b)],
    ['transformWith', (a, b) => a.transformWith(b, (x) => x)],
  ];

  it.each(crossContext)(
    '%s with a stream of another StreamingContext fails at definition, naming the operator',
    (operator, combine) => {
      const first = ctx();
      const second = ctx();
      const a = first.queueStream<Pair<string, number>>([]);
      const b = second.queueStream<Pair<string, number>>([]);
      const error = thrown(() => combine(a, b));
      expect(error).toBeInstanceOf(InvalidGraphError);
      expect(error.message).toContain(`${operator}:`);
      expect(error.message).toContain('different StreamingContext');
      expect(error.message).toContain('same context');
      expect((error as InvalidGraphError).context).toMatchObject({ operator });
      // Neither graph gained a stream.
      expect(first.graph.streams).toHaveLength(1);
      expect(second.graph.streams).toHaveLength(1);
    },
  );

  it('union rejects a foreign stream even when it is not the first of several', () => {
    const first = ctx();
    const a = first.queueStream<number>([]);
    const b = first.queueStream<number>([]);
    const foreign = ctx().queueStream<number>([]);
    expect(() => a.union(b, foreign)).toThrow(/union: .*different StreamingContext/);
  });

  it('combining streams of the same context is fine', () => {
    const ssc = ctx();
    const a = ssc.queueStream<Pair<string, number>>([]);
    const b = ssc.queueStream<Pair<string, number>>([]);
    expect(() =>
      a
        .union(b)
        .join(b)
        .transformWith(a, (x) => x),
    ).not.toThrow();
  });
});

describe('batch interval', () => {
  it.each<[unknown]>([[0], [-5], [1.5], [Number.NaN], [Number.POSITIVE_INFINITY], ['0s'], ['1.5ms']])(
    'rejects %p as batch interval, asking for a positive whole number of milliseconds',
    (batchInterval) => {
      const error = thrown(() => new StreamingContext({ batchInterval: batchInterval as number }));
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toMatch(/^batchInterval must be a positive whole number of milliseconds, got /);
      expect((error as ConfigError).context).toMatchObject({ what: 'batchInterval' });
    },
  );

  it.each(['2 parsecs', 'abc', '', '-5s', '5 seconds', '1d', 's'])(
    "rejects %p as batch interval and shows the accepted forms ('500ms', '2s', '1m', '1h')",
    (batchInterval) => {
      const error = thrown(() => new StreamingContext({ batchInterval }));
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toContain(`batchInterval '${batchInterval}' is not a duration`);
      for (const example of ['1000', "'500ms'", "'2s'", "'1m'", "'1h'"])
        expect(error.message).toContain(example);
    },
  );

  it.each<[unknown, string]>([
    [null, 'object'],
    [undefined, 'undefined'],
    [{ ms: 5 }, 'object'],
    [true, 'boolean'],
  ])('rejects %p as batch interval, saying what type it got', (batchInterval, type) => {
    const error = thrown(() => new StreamingContext({ batchInterval: batchInterval as number }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(
      `batchInterval must be a number of milliseconds or a string like '2s', got ${type}`,
    );
  });

  it('rejects a bad batch interval in a job definition when its context is built', () => {
    const job = defineJob({ name: 'j', batchInterval: '2 parsecs', build: () => undefined });
    expect(() => new StreamingContext({ batchInterval: job.batchInterval })).toThrow(/'2 parsecs'/);
  });
});

describe('durations', () => {
  it.each<[string | number, number]>([
    ['500ms', 500],
    ['2s', 2000],
    ['1m', 60_000],
    ['1h', 3_600_000],
    ['1.5s', 1500],
    [' 2 s ', 2000],
    ['0.5m', 30_000],
    [250, 250],
    [1, 1],
  ])('parses %p as %p ms', (duration, ms) => {
    expect(toMillis(duration)).toBe(ms);
    expect(new StreamingContext({ batchInterval: duration }).batchMs).toBe(ms);
  });

  it('names what it was parsing in the error', () => {
    expect(() => toMillis('soon', 'window length')).toThrow(/^window length 'soon' is not a duration/);
  });
});

describe('start', () => {
  it('fails at start() when the graph has no output operation, saying which operations to add', () => {
    const ssc = ctx();
    ssc.queueStream([[1, 2]]).map((x) => x * 2);
    const error = thrown(() => ssc.start({ clock: new ManualClock(0), zeroTime: 0 }));
    expect(error).toBeInstanceOf(InvalidGraphError);
    expect(error.message).toContain('no output operation');
    for (const fix of ['foreachBatch()', 'print()', 'sink']) expect(error.message).toContain(fix);
  });

  it('leaves an output-less context unstarted, so awaitTermination rejects instead of hanging', async () => {
    const ssc = ctx();
    ssc.queueStream([[1]]);
    expect(() => ssc.start({ clock: new ManualClock(0), zeroTime: 0 })).toThrow(InvalidGraphError);
    await expect(ssc.awaitTermination()).rejects.toThrow(/never started/);
  });

  it('a context can be started only once', async () => {
    const ssc = ctx();
    ssc.queueStream([[1]]).foreachBatch(() => undefined);
    ssc.start({ clock: new ManualClock(0), zeroTime: 0 });
    expect(() => ssc.start({ clock: new ManualClock(0), zeroTime: 0 })).toThrow(/already started/);
    await ssc.stop();
  });

  it('refuses streams, operations and outputs added after start(), telling to define them before start()', async () => {
    const ssc = ctx();
    const stream = ssc.queueStream<number>([[1]]);
    stream.foreachBatch(() => undefined);
    ssc.start({ clock: new ManualClock(0), zeroTime: 0 });
    const count = ssc.graph.streams.length;
    const attempts: [string, () => unknown][] = [
      ['map', () => stream.map((x) => x + 1)],
      ['union', () => stream.union(stream)],
      ["input 'late'", () => ssc.queueStream([[2]], { name: 'late' })],
      ['foreachBatch', () => stream.foreachBatch(() => undefined)],
      ["writeTo 'out'", () => stream.writeTo(new StoreSink('out'))],
    ];
    for (const [operator, add] of attempts) {
      const error = thrown(add);
      expect(error).toBeInstanceOf(InvalidGraphError);
      expect(error.message).toBe(
        `cannot add ${operator} after the context has started; define every stream before start()`,
      );
    }
    expect(ssc.graph.streams.length).toBe(count);
    expect(ssc.graph.outputs).toHaveLength(1);
    await ssc.stop();
  });
});

describe('transform returning something other than an RDD', () => {
  it.each<[string, unknown, RegExp]>([
    ['an array', [1, 2], /got an array \(build an RDD with the rdd operations instead\)/],
    ['undefined', undefined, /got undefined/],
    ['null', null, /got null/],
    ['a promise', Promise.resolve(1), /got an object \(Promise\)/],
    ['a number', 3, /got number/],
  ])('fails the batch with a clear message when transform returns %s', async (_what, value, detail) => {
    const ssc = ctx();
    ssc
      .queueStream([[1, 2, 3]])
      .transform(() => value as RDD<number>)
      .foreachBatch(() => undefined);
    const { error, store } = await runContext(ssc, { batches: 2 });
    expect(error).toBeInstanceOf(BatchFailedError);
    const failure = error as BatchFailedError;
    expect(failure.batchTime).toBe(1000);
    expect(failure.operator).toBe('transform');
    expect(failure.message).toMatch(/^batch 1000 failed in transform: transform must return an RDD, /);
    expect(failure.message).toMatch(detail);
    expect(chainMessages(error).some((m) => m.startsWith('transform must return an RDD'))).toBe(true);
    const manifest = await readManifest(store, 1000);
    expect(manifest?.status).toBe('failed');
    expect(manifest?.error?.operator).toBe('transform');
    expect(await readManifest(store, 2000)).toBeUndefined();
  });

  it('names transformWith when its function returns a non-RDD', async () => {
    const ssc = ctx();
    const a = ssc.queueStream([[1]]);
    const b = ssc.queueStream([[2]]);
    a.transformWith(b, () => ({ rows: [1] }) as unknown as RDD<number>).foreachBatch(() => undefined);
    const { error } = await runContext(ssc, { batches: 1 });
    expect(error).toBeInstanceOf(BatchFailedError);
    expect((error as Error).message).toMatch(
      /^batch 1000 failed in transformWith: transformWith must return an RDD, got an object \(Object\)/,
    );
  });
});

describe('other definition errors', () => {
  it('defineJob needs a build function', () => {
    expect(() => defineJob({ name: 'j', batchInterval: 1000 } as never)).toThrow(
      /defineJob needs a build\(ssc\) function/,
    );
  });

  it.each(['', 'has space', '../escape', '-lead'])('rejects %p as job name and as sink name', (name) => {
    expect(() => new StreamingContext({ batchInterval: 1000, name })).toThrow(/must be letters, digits/);
    expect(() => new StoreSink(name)).toThrow(/must be letters, digits/);
  });
});
