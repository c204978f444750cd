/**
 * stream.slice(from, to) and stream.remember(duration): driver code (foreachBatch) and transform read a
 * stream's remembered earlier batches, as with Spark's DStream.slice. Input i arrives at 1000 * (i + 1).
 */
import {
  ConfigError,
  type DStream,
  defineJob,
  InvalidGraphError,
  ManualClock,
  StreamingContext,
} from '../../../src/engine';
import { contextFor } from '../../../src/engine/api/job';
import { NotRememberedError } from '../../../src/engine/graph';
import { UnknownNodeError } from '../../../src/engine/plan';
import { testOperation } from './helpers';

const inputs = [[1], [2, 3], [4], [5, 6], [7]];

/**
 * Runs the batches of `inputs`; at every batch time `read` gets the context's streams and returns what
 * to record for that time (errors thrown by it are recorded as values, and the batch goes on).
 */
async function atEveryBatch<T, R>(
  define: (input: DStream<number>) => { output: DStream<T>; read: (time: number) => Promise<R> },
  batches = inputs.length,
): Promise<Map<number, R | Error>> {
  const ssc = new StreamingContext({ batchInterval: 1000, partitions: 2, name: 'slice' });
  const { output, read } = define(ssc.queueStream(inputs));
  const seen = new Map<number, R | Error>();
  output.foreachBatch(async (_rdd, time) => {
    try {
      seen.set(time, await read(time));
    } catch (error) {
      seen.set(time, error as Error);
    }
  });
  ssc.start({ clock: new ManualClock(0, { autoAdvance: true }), zeroTime: 0, batches, workers: 2 });
  await ssc.awaitTermination();
  return seen;
}

const collectAll = <T>(rdds: { collect(): Promise<T[]> }[]) => Promise.all(rdds.map((r) => r.collect()));

describe('slice in foreachBatch', () => {
  it('returns the remembered batches in [from, to], oldest first, whose actions run in the batch', async () => {
    const seen = await atEveryBatch((input) => {
      input.remember('3s');
      return { output: input, read: (time) => collectAll(input.slice(time - 2000, time)) };
    });
    expect([...seen.entries()]).toEqual([
      [1000, [[1]]],
      [2000, [[1], [2, 3]]],
      [3000, [[1], [2, 3], [4]]],
      [4000, [[2, 3], [4], [5, 6]]],
      [5000, [[4], [5, 6], [7]]],
    ]);
  });

  it('reads a derived stream, rounding from up to its next batch time', async () => {
    const seen = await atEveryBatch((input) => {
      const tens = input.map((x) => x * 10).remember('2s');
      return { output: tens, read: (time) => collectAll(tens.slice(time - 1500, time)) };
    });
    expect(seen.get(5000)).toEqual([[50, 60], [70]]);
  });

  it('computes a remembered stream that no output uses, from its remembered input', async () => {
    const seen = await atEveryBatch((input) => {
      const odd = input.filter((x) => x % 2 === 1).remember('3s');
      return { output: input, read: (time) => collectAll(odd.slice(time - 2000, time - 1000)) };
    });
    expect(seen.get(4000)).toEqual([[3], []]);
    expect(seen.get(5000)).toEqual([[], [5]]);
  });

  it('refuses a batch older than the stream remembers, saying how long to remember', async () => {
    const seen = await atEveryBatch((input) => ({
      output: input,
      read: (time) => collectAll(input.slice(time - 2000, time)),
    }));
    const error = seen.get(3000) as Error;
    expect(error).toBeInstanceOf(NotRememberedError);
    expect(error.message).toMatch(
      /^slice\(\) of input 'queue-0' \(stream 0\): batch 1000 is no longer remembered at batch 3000; the stream keeps 1s of batches: call remember\('3s'\) or longer on it before start\(\)$/,
    );
  });

  it('refuses a batch after the batch in progress', async () => {
    const seen = await atEveryBatch((input) => ({
      output: input,
      read: (time) => collectAll(input.slice(time, time + 1000)),
    }));
    expect((seen.get(2000) as Error).message).toContain(
      'batch 3000 is after the batch in progress (2000), so it has no data yet',
    );
  });
});

describe('slice in transform', () => {
  it('builds lineage over the remembered batches like a window', async () => {
    await testOperation(
      inputs,
      (input) => {
        input.remember('2s');
        return input.transform((rdd, time) => rdd.union(...input.slice(time - 1000, time - 1000)));
      },
      [[1], [2, 3, 1], [4, 2, 3], [5, 6, 4], [7, 5, 6]],
    );
  });
});

describe('slice and remember outside a running stream', () => {
  const stream = () => new StreamingContext({ batchInterval: 1000, name: 'slice' }).queueStream<number>([]);

  it('refuses slice before start', () => {
    expect(() => stream().slice(0, 1000)).toThrow(NotRememberedError);
    expect(() => stream().slice(0, 1000)).toThrow('call it in foreachBatch or transform, after start()');
  });

  it('refuses a range that is not from <= to', () => {
    expect(() => stream().slice(3000, 1000)).toThrow(ConfigError);
    expect(() => stream().slice(Number.NaN, 1000)).toThrow(
      'slice(from, to) needs batch times (ms) with from <= to, got slice(NaN, 1000)',
    );
  });

  it('refuses remember after start and a duration that is not one', async () => {
    expect(() => stream().remember('soon')).toThrow(ConfigError);
    const ssc = new StreamingContext({ batchInterval: 1000, name: 'late' });
    const input = ssc.queueStream<number>([[1]]);
    input.foreachBatch(() => {
      expect(() => input.remember('5s')).toThrow(InvalidGraphError);
    });
    ssc.start({ clock: new ManualClock(0, { autoAdvance: true }), zeroTime: 0, batches: 1 });
    await ssc.awaitTermination();
  });

  it('makes the graph keep the remembered batches', () => {
    const ssc = new StreamingContext({ batchInterval: 1000, name: 'remember' });
    const input = ssc.queueStream<number>([]);
    input.map((x) => x).remember('1m');
    expect(input.node.rememberDurationMs).toBe(60_000);
    expect(ssc.graph.maxRememberMs()).toBe(60_000);
  });
});

describe('a task process reaching an earlier batch through slice', () => {
  it('rebuilds that batch lineage to find the node by id', () => {
    let sliced: DStream<number> | undefined;
    const job = defineJob({
      name: 'slice-job',
      batchInterval: 1000,
      build(ssc) {
        sliced = ssc.generatorStream({ ratePerSecond: 4, generate: (i) => i }).map((x) => x + 1);
        sliced.remember('3s');
        sliced.foreachBatch(() => undefined);
      },
    });
    const coordinator = contextFor(job);
    coordinator.graph.start(0);
    coordinator.graph.generateJobs(3000);
    const [earlier] = sliced!.slice(2000, 2000);
    expect(earlier.time).toBe(2000);

    // A fresh process of the same job, asked for that node while running batch 3000.
    const task = contextFor(job);
    task.graph.start(0);
    const found = task.graph.findNode(earlier.node.id, 3000);
    expect(found.id).toBe(earlier.node.id);
    expect(found.operator).toBe(earlier.node.operator);
    expect(() => task.graph.findNode('s99.0@2000', 3000)).toThrow(UnknownNodeError);
  });
});
