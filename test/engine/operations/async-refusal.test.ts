/**
 * map, flatMap, filter, mapValues and mapPartitions need functions that return values. An `async`
 * function is refused when the stream is defined; a plain function that returns a Promise is refused on
 * the first row of a partition. Either way the error says to use mapAsync, and no record is
 * dead-lettered for it (the job is wrong, not the records).
 */
import {
  BatchFailedError,
  type DStream,
  ManualClock,
  type Pair,
  StreamingContext,
} from '../../../src/engine';
import { PromiseReturnedError } from '../../../src/engine/plan';
import { causeChain, runContext } from '../coordinator/helpers';

function stream(): DStream<number> {
  const ssc = new StreamingContext({ batchInterval: 1000, partitions: 2, name: 'refusal' });
  return ssc.queueStream<number>([]);
}

/** Runs one batch of `input` through `build`; the error it failed with, if any, and the store. */
async function runOne<O>(input: number[], build: (s: DStream<number>) => DStream<O>) {
  const ssc = new StreamingContext({ batchInterval: 1000, partitions: 2, name: 'refusal' });
  const outputs: O[][] = [];
  build(ssc.queueStream([input])).foreachBatch(async (rdd) => {
    outputs.push(await rdd.collect());
  });
  const outcome = await runContext(ssc, { batches: 1, retry: { maxAttempts: 1 } });
  const deadLetters = (await outcome.store.list('deadletters/')).map((e) => e.key);
  return { ...outcome, outputs, deadLetters };
}

function refusalIn(error: unknown): PromiseReturnedError | undefined {
  return causeChain(error).find((e) => e instanceof PromiseReturnedError) as PromiseReturnedError | undefined;
}

describe('an async function given to a synchronous stream operator', () => {
  it.each([
    [
      'map',
      (s: DStream<number>) => s.map(async (x) => x),
      'map got a function that returns a Promise; use mapAsync(f, { concurrency })',
    ],
    [
      'flatMap',
      (s: DStream<number>) => s.flatMap((async (x: number) => [x]) as never),
      'flatMap got a function that returns a Promise; use mapAsync(f, { concurrency }) and then flatMap((rows) => rows)',
    ],
    [
      'filter',
      (s: DStream<number>) => s.filter((async (x: number) => x > 0) as never),
      'filter got a function that returns a Promise; compute the condition with mapAsync(f, { concurrency }) first, then filter on it',
    ],
    [
      'mapPartitions',
      (s: DStream<number>) => s.mapPartitions((async (rows: number[]) => rows) as never),
      'mapPartitions got a function that returns a Promise; use mapPartitionsAsync(f)',
    ],
  ] as const)('%s refuses it when the stream is defined', (_name, define, message) => {
    expect(() => define(stream())).toThrow(PromiseReturnedError);
    expect(() => define(stream())).toThrow(message);
  });

  it('mapValues refuses it when the batch builds the operator', async () => {
    const { error } = await runOne([1, 2], (s) =>
      s.map((x): Pair<number, number> => [x, x]).mapValues(async (v) => v + 1),
    );
    expect(error).toBeInstanceOf(BatchFailedError);
    expect(refusalIn(error)?.message).toBe(
      'mapValues got a function that returns a Promise; use mapAsync(([key, value]) => ..., { concurrency })',
    );
  });
});

describe('a plain function that returns a Promise', () => {
  it('fails the batch instead of emitting promises, and dead-letters nothing', async () => {
    const { error, outputs, deadLetters } = await runOne([1, 2, 3, 4], (s) =>
      s.map((x) => Promise.resolve(x * 2)),
    );
    expect(error).toBeInstanceOf(BatchFailedError);
    expect(refusalIn(error)?.message).toBe(
      'map got a function that returns a Promise; use mapAsync(f, { concurrency })',
    );
    expect(outputs).toEqual([]);
    expect(deadLetters).toEqual([]);
  });

  it('is caught in a fused chain, after other operators', async () => {
    const { error } = await runOne([1, 2, 3], (s) =>
      s
        .map((x) => x + 1)
        .filter((x) => (x > 2 ? (Promise.resolve(true) as unknown as boolean) : false))
        .map((x) => x),
    );
    expect(refusalIn(error)?.context).toEqual({ operator: 'filter' });
  });

  it('does not leave a rejected promise unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const { error } = await runOne([1], (s) => s.map(() => Promise.reject(new Error('boom'))));
      expect(refusalIn(error)).toBeDefined();
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
  });

  it('is refused in mapPartitions rather than read as an empty partition', async () => {
    const { error, outputs } = await runOne([1, 2], (s) =>
      s.mapPartitions((rows) => Promise.resolve(rows) as unknown as number[]),
    );
    expect(error).toBeInstanceOf(BatchFailedError);
    expect(refusalIn(error)?.message).toBe(
      'mapPartitions got a function that returns a Promise; use mapPartitionsAsync(f)',
    );
    expect(outputs).toEqual([]);
  });

  it('is refused on an RDD in driver code', async () => {
    const ssc = new StreamingContext({ batchInterval: 1000, partitions: 1, name: 'refusal-rdd' });
    const errors: unknown[] = [];
    ssc.queueStream([[1, 2]]).foreachBatch(async (rdd) => {
      expect(() => rdd.map(async (x) => x)).toThrow(PromiseReturnedError);
      try {
        await rdd.flatMap((x) => Promise.resolve([x]) as unknown as number[]).collect();
      } catch (error) {
        errors.push(error);
      }
    });
    ssc.start({ clock: new ManualClock(0, { autoAdvance: true }), zeroTime: 0, batches: 1, workers: 1 });
    await ssc.awaitTermination();
    expect(errors).toHaveLength(1);
    expect(refusalIn(errors[0])?.context).toEqual({ operator: 'flatMap' });
  });

  it('leaves values alone that merely have a then property which is not a function', async () => {
    // Built with a computed key: a literal 'then' property is what the linter rightly warns about.
    const thenKey = 'then';
    const { error, outputs } = await runOne([1, 2, 3], (s) =>
      s.map((x) => ({ x, [thenKey]: 'not a function' })).map((o) => o.x),
    );
    expect(error).toBeUndefined();
    expect(outputs).toEqual([[1, 2, 3]]);
  });
});
