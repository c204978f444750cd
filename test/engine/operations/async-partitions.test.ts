/**
 * mapPartitionsAsync: one async call per partition of each batch, resolving to the partition's rows.
 */
import { BatchFailedError, type DStream, StreamingContext, UserFunctionError } from '../../../src/engine';
import { causeChain, runContext } from '../coordinator/helpers';
import { testOperation } from './helpers';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function runWith<O>(inputs: number[][], build: (s: DStream<number>) => DStream<O>) {
  const ssc = new StreamingContext({ batchInterval: 1000, partitions: 1, name: 'async-partitions' });
  build(ssc.queueStream(inputs)).foreachBatch(async (rdd) => {
    await rdd.collect();
  });
  return runContext(ssc, { batches: inputs.length });
}

describe('mapPartitionsAsync on a stream', () => {
  it('replaces each partition with what the async function resolves to, given the partition index', async () => {
    await testOperation(
      [[1, 2, 3, 4], [5]],
      (s) =>
        s.mapPartitionsAsync(async (rows, partition) => {
          await sleep(partition === 0 ? 3 : 0);
          return rows.map((x) => `${partition}:${x}`);
        }),
      [['0:1', '0:2', '1:3', '1:4'], ['0:5']],
    );
  });

  it('takes an async generator', async () => {
    await testOperation(
      [[1, 2, 3]],
      (s) =>
        s.mapPartitionsAsync(async function* (rows) {
          for (const x of rows) {
            await sleep(0);
            yield x + 100;
          }
        }),
      [[101, 102, 103]],
    );
  });

  it('fails the batch with the operator and partition when the function rejects', async () => {
    const { error } = await runWith([[1, 2]], (s) =>
      s.mapPartitionsAsync(async (_rows, partition): Promise<number[]> => {
        throw new Error(`service down for ${partition}`);
      }),
    );
    expect(error).toBeInstanceOf(BatchFailedError);
    const failure = causeChain(error).find((e) => e instanceof UserFunctionError) as UserFunctionError;
    expect(failure.operator).toBe('mapPartitionsAsync');
    expect(failure.message).toContain('service down for 0');
  });

  it('fails clearly when the function resolves to something that is not rows', async () => {
    const { error } = await runWith([[1]], (s) =>
      s.mapPartitionsAsync(async () => 42 as unknown as number[]),
    );
    expect(String(causeChain(error).map((e) => (e as Error).message))).toContain(
      "mapPartitionsAsync must resolve to the partition's rows (an array or an iterable), got number",
    );
  });
});
