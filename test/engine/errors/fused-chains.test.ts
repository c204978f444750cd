import { StreamingContext } from '../../../src/engine/api';
import { type Pair, UserFunctionError } from '../../../src/engine/plan';
import { BatchFailedError } from '../../../src/engine/schedule';
import { causeChain, runContext } from '../coordinator/helpers';
import { testOperation } from '../operations/helpers';

/** Records user code fails on fail the batch here, so the error names the operator. */
function context(): StreamingContext {
  return new StreamingContext({ batchInterval: 1000, partitions: 2, name: 'chains', onRecordError: 'fail' });
}

const lines = [['a b', 'b c boom', 'c d']];

/** flatMap -> map -> filter -> reduceByKey, with `failing` throwing on the word 'boom'. */
function chain(ssc: StreamingContext, failing: 'flatMap' | 'map' | 'filter' | 'reduceByKey') {
  const fail = (where: string, word: string) => {
    if (where === failing && word.includes('boom')) throw new Error(`${where} failed on boom`);
  };
  ssc
    .queueStream(lines)
    .flatMap((line) => {
      fail('flatMap', line);
      return line.split(' ');
    })
    .map((word): Pair<string, number> => {
      fail('map', word);
      return [word, 1];
    })
    .filter((pair) => {
      fail('filter', pair[0]);
      return pair[0] !== 'a';
    })
    .reduceByKey((a, b) => {
      if (failing === 'reduceByKey') throw new Error('reduceByKey failed on boom');
      return a + b;
    })
    .foreachBatch(async (rdd) => {
      await rdd.collect();
    });
}

describe('a fused record chain', () => {
  it.each(['flatMap', 'map', 'filter', 'reduceByKey'] as const)(
    'names %s when its function throws inside the chain',
    async (failing) => {
      const ssc = context();
      chain(ssc, failing);
      const { error } = await runContext(ssc, { batches: 1, retry: { maxAttempts: 1 } });
      expect(error).toBeInstanceOf(BatchFailedError);
      expect((error as BatchFailedError).operator).toBe(failing);
      const user = causeChain(error).find((e) => e instanceof UserFunctionError) as UserFunctionError;
      expect(user.operator).toBe(failing);
      expect(causeChain(error).some((e) => (e as Error).message === `${failing} failed on boom`)).toBe(true);
    },
  );

  it('calls every user function once per record', async () => {
    const calls = { flatMap: 0, map: 0, filter: 0 };
    await testOperation(
      [['a b', 'b c']],
      (s) =>
        s
          .flatMap((line) => {
            calls.flatMap++;
            return line.split(' ');
          })
          .map((word): Pair<string, number> => {
            calls.map++;
            return [word, 1];
          })
          .filter(() => {
            calls.filter++;
            return true;
          })
          .reduceByKey((a, b) => a + b, 1),
      [
        [
          ['a', 1],
          ['b', 2],
          ['c', 1],
        ],
      ],
      { useSet: true },
    );
    expect(calls).toEqual({ flatMap: 2, map: 4, filter: 4 });
  });

  it('combines pairs that operators build or pass on (mapValues, flatMapValues, countByValue)', async () => {
    const words = [['x', 'y', 'x', 'z', 'x']];
    await testOperation(
      words,
      (s) =>
        s
          .countByValue()
          .flatMapValues((n) => [n, 10 * n])
          .mapValues((n) => n + 1)
          .filter((pair) => pair[0] !== 'z')
          .reduceByKey((a, b) => a + b, 2),
      [
        [
          ['x', 4 + 31],
          ['y', 2 + 11],
        ],
      ],
      { useSet: true },
    );
  });
});
