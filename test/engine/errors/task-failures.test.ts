import { StreamingContext } from '../../../src/engine/api';
import { MemoryStore } from '../../../src/engine/io/memory-store';
import { type Pair, UserFunctionError } from '../../../src/engine/plan';
import { BatchFailedError, readManifest, TaskFailedError } from '../../../src/engine/schedule';
import { runBatchesDetailed } from '../../../src/engine/testing';
import { causeChain, chainMessages, listManifests, runContext } from '../coordinator/helpers';

const MAX_ATTEMPTS = 3;

/** Records user code fails on fail the batch here (the default dead-letters them: poison-records.test). */
function context(partitions = 1): StreamingContext {
  return new StreamingContext({ batchInterval: 1000, partitions, name: 'failures', onRecordError: 'fail' });
}

/** A foreachBatch output that runs the batch and keeps what it collected. */
function collectInto<T>(outputs: Map<number, T[]>) {
  return async (rdd: { collect(): Promise<T[]> }, time: number) => {
    outputs.set(time, await rdd.collect());
  };
}

function expectBatchFailure(error: unknown, batchTime: number, operator: string, original: string) {
  expect(error).toBeInstanceOf(BatchFailedError);
  const failure = error as BatchFailedError;
  expect(failure.batchTime).toBe(batchTime);
  expect(failure.operator).toBe(operator);
  expect(failure.message.startsWith(`batch ${batchTime} failed in ${operator}: `)).toBe(true);
  expect(failure.context).toMatchObject({ batchTime, operator });
  expect(chainMessages(error)).toContain(original);
}

describe('a user function that throws fails its batch', () => {
  it('fails the batch naming map and the batch time after retrying the map task maxAttempts times', async () => {
    let calls = 0;
    const ssc = context();
    ssc
      .queueStream([[1, 2, 3]])
      .map((x) => {
        calls++;
        if (x === 2) throw new Error('map exploded on 2');
        return x;
      })
      .foreachBatch(collectInto(new Map()));
    const { error } = await runContext(ssc, { batches: 1, retry: { maxAttempts: MAX_ATTEMPTS } });

    expectBatchFailure(error, 1000, 'map', 'map exploded on 2');
    // Each attempt runs the one partition from the start and stops at the throwing record (2 calls),
    // then halves the input to name the record: [1, 2] fails (2 calls), [1] passes, [2] fails (1 each).
    expect(calls).toBe(MAX_ATTEMPTS * 6);
    const chain = causeChain(error);
    const task = chain.find((e) => e instanceof TaskFailedError) as TaskFailedError;
    expect(task.context).toMatchObject({ attempts: MAX_ATTEMPTS, partition: 0, operator: 'map' });
    expect(task.message).toMatch(new RegExp(`^task 0 of map failed ${MAX_ATTEMPTS} times; last error: `));
    const user = chain.find((e) => e instanceof UserFunctionError) as UserFunctionError;
    expect(user.operator).toBe('map');
    expect(user.partition).toBe(0);
    expect(chain[chain.length - 1]).toEqual(new Error('map exploded on 2'));
  });

  it('fails the batch naming filter when a filter predicate throws, after maxAttempts attempts', async () => {
    let calls = 0;
    const ssc = context();
    ssc
      .queueStream([['keep']])
      .filter(() => {
        calls++;
        throw new TypeError('predicate broke');
      })
      .foreachBatch(collectInto(new Map()));
    const { error } = await runContext(ssc, { batches: 1, retry: { maxAttempts: MAX_ATTEMPTS } });
    expectBatchFailure(error, 1000, 'filter', 'predicate broke');
    expect(calls).toBe(MAX_ATTEMPTS);
  });

  it('fails the batch naming reduceByKey when the reducer throws while combining on the map side', async () => {
    let calls = 0;
    const ssc = context(1);
    ssc
      .queueStream<Pair<string, number>>([
        [
          ['k', 1],
          ['k', 2],
        ],
      ])
      .reduceByKey(() => {
        calls++;
        throw new Error('reducer refused');
      })
      .foreachBatch(collectInto(new Map()));
    const { error, store } = await runContext(ssc, { batches: 1, retry: { maxAttempts: MAX_ATTEMPTS } });
    expectBatchFailure(error, 1000, 'reduceByKey', 'reducer refused');
    // One map task with two values of one key: one reducer call per attempt.
    expect(calls).toBe(MAX_ATTEMPTS);
    const manifest = await readManifest(store, 1000);
    expect(manifest?.status).toBe('failed');
    expect(manifest?.error?.operator).toBe('reduceByKey');
  });

  it('fails the batch naming reduceByKey when the reducer throws while merging on the reduce side', async () => {
    let calls = 0;
    const ssc = context(2);
    // Two input partitions with one value each: nothing to combine per map task, so the reducer first
    // runs in the single reduce task.
    ssc
      .queueStream<Pair<string, number>>([
        [
          ['k', 1],
          ['k', 2],
        ],
      ])
      .reduceByKey(() => {
        calls++;
        throw new Error('merge refused');
      }, 1)
      .foreachBatch(collectInto(new Map()));
    const { error, store } = await runContext(ssc, { batches: 1, retry: { maxAttempts: MAX_ATTEMPTS } });
    expectBatchFailure(error, 1000, 'reduceByKey', 'merge refused');
    expect(calls).toBe(MAX_ATTEMPTS);
    // The shuffle-map stage had finished before the reduce stage failed.
    const manifest = await readManifest(store, 1000);
    expect(manifest?.stages.map((s) => s.kind)).toEqual(['shuffleMap']);
  });

  it('fails the batch naming foreachBatch when the callback throws, running the driver callback once', async () => {
    let calls = 0;
    const ssc = context();
    ssc.queueStream([[1]]).foreachBatch(async (rdd) => {
      calls++;
      await rdd.collect();
      throw new RangeError('callback failed');
    });
    const { error, store } = await runContext(ssc, { batches: 2, retry: { maxAttempts: MAX_ATTEMPTS } });
    expectBatchFailure(error, 1000, 'foreachBatch (stream 1)', 'callback failed');
    expect((error as Error).cause).toBeInstanceOf(RangeError);
    // foreachBatch runs on the coordinator, not as a task: it is not retried.
    expect(calls).toBe(1);
    expect((await readManifest(store, 1000))?.error?.operator).toMatch(/^foreachBatch/);
  });

  it('runs driver-made lineage inside foreachBatch once, naming the operator that threw', async () => {
    let calls = 0;
    const ssc = context();
    ssc.queueStream([[1]]).foreachBatch(async (rdd) => {
      await rdd
        .map(() => {
          calls++;
          throw new Error('driver map');
        })
        .collect();
    });
    const { error } = await runContext(ssc, { batches: 1, retry: { maxAttempts: MAX_ATTEMPTS } });
    expectBatchFailure(error, 1000, 'map', 'driver map');
    expect(calls).toBe(1);
  });

  it('makes at most the allowed attempts per partition, and stops the others once one partition failed them all', async () => {
    const calls = new Map<number, number>();
    const ssc = context(3);
    ssc
      .queueStream([[1, 2, 3]])
      .map((value) => {
        calls.set(value, (calls.get(value) ?? 0) + 1);
        throw new Error('always');
      })
      .foreachBatch(collectInto(new Map()));
    const { error } = await runContext(ssc, { batches: 1, retry: { maxAttempts: 2 } });
    expectBatchFailure(error, 1000, 'map', 'always');
    // One partition used both its attempts; no partition was tried more often than allowed. Attempts of
    // the others still waiting when the stage failed were dropped, so the total may be below 3 x 2.
    expect(Math.max(...calls.values())).toBe(2);
    const total = [...calls.values()].reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(2);
    expect(total).toBeLessThanOrEqual(3 * 2);
  });

  it.each<[string, string]>([
    ['map', 'map'],
    ['filter', 'filter'],
    ['mapValues', 'mapValues'],
    ['reducer', 'reduceByKey'],
  ])('names the throwing operator in a fused chain when the %s throws', async (which, operator) => {
    const boom = (name: string) => {
      if (name === which) throw new Error(`${name} threw`);
    };
    const ssc = context(1);
    ssc
      .queueStream<string>([['a', 'a', 'b']])
      .map((w) => {
        boom('map');
        return [w, 1] as Pair<string, number>;
      })
      .filter(() => {
        boom('filter');
        return true;
      })
      .mapValues((v) => {
        boom('mapValues');
        return v;
      })
      .reduceByKey((x, y) => {
        boom('reducer');
        return x + y;
      })
      .foreachBatch(collectInto(new Map()));
    const { error } = await runContext(ssc, { batches: 1, retry: { maxAttempts: 2 } });
    expectBatchFailure(error, 1000, operator, `${which} threw`);
    const user = causeChain(error).find((e) => e instanceof UserFunctionError) as UserFunctionError;
    expect(user.operator).toBe(operator);
  });

  it('a non-Error thrown by a user function still appears in the failure message', async () => {
    const ssc = context();
    ssc
      .queueStream([[1]])
      .map(() => {
        throw 'plain string';
      })
      .foreachBatch(collectInto(new Map()));
    const { error } = await runContext(ssc, { batches: 1, retry: { maxAttempts: 1 } });
    expect(error).toBeInstanceOf(BatchFailedError);
    expect((error as Error).message).toContain('plain string');
  });
});

describe('retries', () => {
  it('succeeds on retry when a map function throws only on its first call, with correct output', async () => {
    let calls = 0;
    const run = await runBatchesDetailed(
      [
        [1, 2, 3],
        [4, 5],
      ],
      (s) =>
        s.map((x) => {
          calls++;
          if (calls === 1) throw new Error('transient');
          return x * 10;
        }),
      { partitions: 1, retry: { maxAttempts: MAX_ATTEMPTS } },
    );
    expect(run.outputs).toEqual([
      [10, 20, 30],
      [40, 50],
    ]);
    // 1 failed call, 3 in the run that checks whether the input makes the map fail (it does not, so
    // the attempt fails and nothing is dead-lettered), then 3 + 2 successful ones.
    expect(calls).toBe(9);
    const manifest = await readManifest(run.store, 1000);
    expect(manifest?.status).toBe('committed');
    const result = manifest!.stages.find((s) => s.kind === 'result')!;
    expect(result.attempts).toBe(2);
    expect((await readManifest(run.store, 2000))?.stages.find((s) => s.kind === 'result')?.attempts).toBe(1);
  });

  it('succeeds on retry when a reducer throws only on its first call, with correct sums', async () => {
    let failed = false;
    const out = await runBatchesDetailed<Pair<string, number>, Pair<string, number>>(
      [
        [
          ['a', 1],
          ['b', 2],
          ['a', 3],
          ['a', 4],
        ],
      ],
      (s) =>
        s.reduceByKey((x, y) => {
          if (!failed) {
            failed = true;
            throw new Error('flaky reducer');
          }
          return x + y;
        }),
      { partitions: 2, retry: { maxAttempts: 2 } },
    );
    expect([...out.outputs[0]].sort()).toEqual([
      ['a', 8],
      ['b', 2],
    ]);
  });

  it('fails with a single attempt when maxAttempts is 1', async () => {
    let calls = 0;
    const ssc = context();
    ssc
      .queueStream([[1]])
      .map((x) => {
        calls++;
        if (calls === 1) throw new Error('once');
        return x;
      })
      .foreachBatch(collectInto(new Map()));
    const { error } = await runContext(ssc, { batches: 1, retry: { maxAttempts: 1 } });
    expectBatchFailure(error, 1000, 'map', 'once');
    expect(calls).toBe(1);
  });
});

describe('after a failed batch', () => {
  it('commits no batch at or after the failed one and records the failure in its manifest', async () => {
    const store = new MemoryStore();
    const outputs = new Map<number, number[]>();
    const ssc = context(2);
    ssc
      .queueStream([[1, 2], [3, 4], [-1, 5], [6], [7]])
      .map((x) => {
        if (x < 0) throw new Error(`negative input ${x}`);
        return x * 2;
      })
      .foreachBatch(collectInto(outputs));
    const { error } = await runContext(ssc, { batches: 5, store, retry: { maxAttempts: 2 } });

    expectBatchFailure(error, 3000, 'map', 'negative input -1');
    expect([...outputs.keys()]).toEqual([1000, 2000]);
    const manifests = await listManifests(store);
    expect(manifests.map((m) => [m.batchTime, m.status])).toEqual([
      [1000, 'committed'],
      [2000, 'committed'],
      [3000, 'failed'],
    ]);
    expect(manifests.filter((m) => m.batchTime >= 3000 && m.status === 'committed')).toEqual([]);
    const failed = await readManifest(store, 3000);
    expect(failed?.error?.operator).toBe('map');
    expect(failed?.error?.message).toContain('negative input -1');
    // The failed batch's inputs were recorded before it ran, so it can be re-run from lineage.
    expect(failed?.inputs[0].records).toBe(2);
  });

  it('a new context on the same store resumes at the failed batch and commits it once the function is fixed', async () => {
    const store = new MemoryStore();
    const inputs = [[1], [-2], [3]];
    const define = (map: (x: number) => number, outputs: Map<number, number[]>) => {
      const ssc = context(1);
      ssc.queueStream(inputs).map(map).foreachBatch(collectInto(outputs));
      return ssc;
    };
    const broken = (x: number) => {
      if (x < 0) throw new Error('negative');
      return x;
    };
    const first = await runContext(define(broken, new Map()), {
      batches: 3,
      store,
      retry: { maxAttempts: 1 },
    });
    expectBatchFailure(first.error, 2000, 'map', 'negative');

    const outputs = new Map<number, number[]>();
    const second = await runContext(define(Math.abs, outputs), { batches: 2, store });
    expect(second.error).toBeUndefined();
    expect([...outputs.entries()]).toEqual([
      [2000, [2]],
      [3000, [3]],
    ]);
    expect((await listManifests(store)).map((m) => [m.batchTime, m.status])).toEqual([
      [1000, 'committed'],
      [2000, 'committed'],
      [3000, 'committed'],
    ]);
  });

  it('awaitTermination keeps rejecting with the same error and stop() still resolves', async () => {
    const ssc = context();
    ssc
      .queueStream([[1]])
      .map(() => {
        throw new Error('boom');
      })
      .foreachBatch(collectInto(new Map()));
    const { error } = await runContext(ssc, { batches: 3, retry: { maxAttempts: 1 } });
    await expect(ssc.awaitTermination()).rejects.toBe(error);
    await expect(ssc.stop()).resolves.toBeUndefined();
  });
});
