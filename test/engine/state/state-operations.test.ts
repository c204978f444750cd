/**
 * updateStateByKey and mapWithState, modelled on Spark's BasicOperationsSuite and MapWithStateSuite:
 * input batches, the stateful operation and the expected output (and state) after every batch. Input i
 * arrives in batch i at time 1000 * (i + 1). State is shuffled by key, so batches compare as multisets.
 */
import {
  BatchFailedError,
  type DStream,
  ManualClock,
  type MapWithStateOptions,
  type Pair,
  StreamingContext,
} from '../../../src/engine';
import { type KeyState, StateAccessError } from '../../../src/engine/graph';
import { runBatches } from '../../../src/engine/testing';
import { chainMessages } from '../coordinator/helpers';
import { expectBatches, testOperation } from '../operations/helpers';

type KV = Pair<string, number>;

const sum = (a: number, b: number) => a + b;
const word = (w: string): KV => [w, 1];

/** Spark's updateStateByKey input: words per batch. */
const words = [['a'], ['a', 'b'], ['a', 'b', 'c'], ['a', 'b'], ['a'], []];

/** Running counts: the state is the number of times the key has been seen. */
const runningCount = (values: number[], state: number | undefined) => values.reduce(sum, 0) + (state ?? 0);

const runningCounts: KV[][] = [
  [['a', 1]],
  [
    ['a', 2],
    ['b', 1],
  ],
  [
    ['a', 3],
    ['b', 2],
    ['c', 1],
  ],
  [
    ['a', 4],
    ['b', 3],
    ['c', 1],
  ],
  [
    ['a', 5],
    ['b', 3],
    ['c', 1],
  ],
  [
    ['a', 5],
    ['b', 3],
    ['c', 1],
  ],
];

interface StatefulRun<S, U> {
  times: number[];
  outputs: U[][];
  states: Pair<string, S>[][];
}

/** Runs mapWithState and collects both its output and its state snapshots after every batch. */
async function runMapWithState<V, S, U>(
  inputs: Pair<string, V>[][],
  fn: (key: string, value: V | undefined, state: KeyState<S>) => U | undefined,
  options: MapWithStateOptions<string, S> = {},
  run: { partitions?: number; workers?: number; numBatches?: number } = {},
): Promise<StatefulRun<S, U>> {
  const ssc = new StreamingContext({ batchInterval: 1000, partitions: run.partitions ?? 2, name: 'state' });
  const mapped = ssc.queueStream(inputs).mapWithState(fn, options);
  const outputs = new Map<number, U[]>();
  const states = new Map<number, Pair<string, S>[]>();
  mapped.foreachBatch(async (rdd, time) => {
    outputs.set(time, await rdd.collect());
  });
  mapped.stateSnapshots().foreachBatch(async (rdd, time) => {
    states.set(time, await rdd.collect());
  });
  ssc.start({
    clock: new ManualClock(0, { autoAdvance: true }),
    zeroTime: 0,
    batches: run.numBatches ?? inputs.length,
    workers: run.workers ?? 2,
    retry: { backoffMs: 0 },
  });
  await ssc.awaitTermination();
  const times = [...outputs.keys()].sort((a, b) => a - b);
  expect([...states.keys()].sort((a, b) => a - b)).toEqual(times);
  return { times, outputs: times.map((t) => outputs.get(t)!), states: times.map((t) => states.get(t)!) };
}

/** Runs a program built on a fresh context until it fails; returns the outputs before the failure and the error. */
async function runUntilFailure<O>(
  build: (ssc: StreamingContext) => DStream<O>,
  batches: number,
): Promise<{ outputs: Map<number, O[]>; error: unknown }> {
  const ssc = new StreamingContext({ batchInterval: 1000, partitions: 2, name: 'state-failure' });
  const outputs = new Map<number, O[]>();
  build(ssc).foreachBatch(async (rdd, time) => {
    outputs.set(time, await rdd.collect());
  });
  ssc.start({
    clock: new ManualClock(0, { autoAdvance: true }),
    zeroTime: 0,
    batches,
    retry: { backoffMs: 0, maxAttempts: 2 },
  });
  const error = await ssc.awaitTermination().then(
    () => undefined,
    (e: unknown) => e,
  );
  return { outputs, error };
}

describe('updateStateByKey', () => {
  it('keeps running word counts across batches (Spark data)', async () => {
    await testOperation(words, (s) => s.map(word).updateStateByKey(runningCount), runningCounts, {
      useSet: true,
    });
  });

  it('starts from the initial state: its keys appear from the first batch (Spark data)', async () => {
    await testOperation(
      words,
      (s) =>
        s.map(word).updateStateByKey(runningCount, {
          initial: [
            ['a', 1],
            ['c', 2],
          ],
        }),
      [
        [
          ['a', 2],
          ['c', 2],
        ],
        [
          ['a', 3],
          ['b', 1],
          ['c', 2],
        ],
        [
          ['a', 4],
          ['b', 2],
          ['c', 3],
        ],
        [
          ['a', 5],
          ['b', 3],
          ['c', 3],
        ],
        [
          ['a', 6],
          ['b', 3],
          ['c', 3],
        ],
        [
          ['a', 6],
          ['b', 3],
          ['c', 3],
        ],
      ],
      { useSet: true },
    );
  });

  it('shows the initial state in the first batch even when that batch has no input', async () => {
    await testOperation(
      [[], ['a']],
      (s) => s.map(word).updateStateByKey(runningCount, { initial: [['z', 5]] }),
      [
        [['z', 5]],
        [
          ['z', 5],
          ['a', 1],
        ],
      ],
      { useSet: true },
    );
  });

  it('removes a key when update returns undefined; a later value starts it from no state', async () => {
    const seen: [number[], number | undefined][] = [];
    await testOperation(
      [['a', 'b'], ['a'], [], ['b']],
      (s) =>
        s.map(word).updateStateByKey<string, number, number>((values, state) => {
          seen.push([values, state]);
          // A key is dropped in the first batch without new values.
          return values.length === 0 ? undefined : values.reduce(sum, 0) + (state ?? 0);
        }),
      [
        [
          ['a', 1],
          ['b', 1],
        ],
        [['a', 2]],
        [],
        [['b', 1]],
      ],
      { useSet: true },
    );
    // b was removed in batch 2, so batch 4 sees it without state.
    expect(seen[seen.length - 1]).toEqual([[1], undefined]);
  });

  it('calls update every batch for every key with state, even without new values', async () => {
    let calls = 0;
    let callsWithoutValues = 0;
    type Counted = { count: number; calls: number };
    const actual = await runBatches([['a', 'b'], [], [], ['a']], (s) =>
      s.map(word).updateStateByKey<string, number, Counted>((values, state) => {
        calls++;
        if (values.length === 0) callsWithoutValues++;
        return { count: (state?.count ?? 0) + values.length, calls: (state?.calls ?? 0) + 1 };
      }),
    );
    expectBatches(
      actual,
      [1, 2, 3, 4].map((n, i): Pair<string, Counted>[] => [
        ['a', { count: i === 3 ? 2 : 1, calls: n }],
        ['b', { count: 1, calls: n }],
      ]),
      true,
    );
    // Two keys for four batches, each call made once: no batch recomputes the state.
    expect(calls).toBe(8);
    expect(callsWithoutValues).toBe(5);
  });

  it('passes all of a batch values for a key in one call', async () => {
    const valuesSeen: number[][] = [];
    await testOperation(
      [
        [
          ['k', 1],
          ['k', 2],
          ['j', 5],
          ['k', 3],
        ],
      ] as KV[][],
      (s) =>
        s.updateStateByKey<string, number, number>((values) => {
          valuesSeen.push([...values].sort());
          return values.reduce(sum, 0);
        }),
      [
        [
          ['k', 6],
          ['j', 5],
        ],
      ],
      { useSet: true, partitions: 3 },
    );
    expect(valuesSeen.sort()).toEqual([[1, 2, 3], [5]]);
  });

  it('gives the same state whatever the partitions and workers', async () => {
    for (const partitions of [1, 2, 3, 4]) {
      for (const workers of [1, 2, 3]) {
        await testOperation(
          words,
          (s) => s.map(word).updateStateByKey(runningCount, { partitions: 5 - partitions }),
          runningCounts,
          { useSet: true, partitions, workers },
        );
      }
    }
  });

  it('keeps the same state when checkpointed every batch or every few batches', async () => {
    for (const interval of ['1s', '2s', '4s']) {
      await testOperation(
        words,
        (s) => s.map(word).updateStateByKey(runningCount).checkpoint(interval),
        runningCounts,
        { useSet: true },
      );
    }
  });

  it('a throwing update fails its batch naming updateStateByKey and the batch time, after earlier batches ran', async () => {
    const { outputs, error } = await runUntilFailure(
      (ssc) =>
        ssc
          .queueStream([['a'], ['a', 'b'], ['boom'], ['a']])
          .map((w): Pair<string, string> => [w, w])
          .updateStateByKey<string, string, number>((values, state) => {
            if (values.includes('boom')) throw new Error('update exploded on boom');
            return values.length + (state ?? 0);
          }),
      4,
    );
    expect(error).toBeInstanceOf(BatchFailedError);
    const failure = error as BatchFailedError;
    expect(failure.batchTime).toBe(3000);
    expect(failure.operator).toBe('updateStateByKey');
    expect(failure.message).toMatch(/^batch 3000 failed in updateStateByKey: /);
    expect(chainMessages(error)).toContain('update exploded on boom');
    // The batches before the failure produced their output; none after it ran.
    expect([...outputs.keys()]).toEqual([1000, 2000]);
    expectBatches(
      [outputs.get(1000)!, outputs.get(2000)!],
      [
        [['a', 1]],
        [
          ['a', 2],
          ['b', 1],
        ],
      ],
      true,
    );
  });

  it('runBatches rejects with the BatchFailedError of a throwing update', async () => {
    await expect(
      runBatches(
        [['a'], ['b']],
        (s) =>
          s.map(word).updateStateByKey<string, number, number>((values, state) => {
            if (state !== undefined) throw new Error('no second call');
            return values.length;
          }),
        { retry: { maxAttempts: 1 } },
      ),
    ).rejects.toThrow(BatchFailedError);
    await expect(
      runBatches(
        [['a'], ['b']],
        (s) =>
          s.map(word).updateStateByKey<string, number, number>((values, state) => {
            if (state !== undefined) throw new Error('no second call');
            return values.length;
          }),
        { retry: { maxAttempts: 1 } },
      ),
    ).rejects.toMatchObject({ batchTime: 2000, operator: 'updateStateByKey' });
  });
});

/** Spark MapWithStateSuite "basic operations with simple API": a running count per key, returned too. */
const countingFn = (_key: string, value: number | undefined, state: KeyState<number>) => {
  const count = (value ?? 0) + (state.getOption() ?? 0);
  state.update(count);
  return count;
};
const sparkInput: KV[][] = [[], ['a'], ['a', 'b'], ['a', 'b', 'c'], ['a', 'b'], ['a'], []].map((batch) =>
  batch.map(word),
);
const sparkOutput = [[], [1], [2, 1], [3, 2, 1], [4, 3], [5], []];
const sparkStates: KV[][] = [
  [],
  [['a', 1]],
  [
    ['a', 2],
    ['b', 1],
  ],
  [
    ['a', 3],
    ['b', 2],
    ['c', 1],
  ],
  [
    ['a', 4],
    ['b', 3],
    ['c', 1],
  ],
  [
    ['a', 5],
    ['b', 3],
    ['c', 1],
  ],
  [
    ['a', 5],
    ['b', 3],
    ['c', 1],
  ],
];

describe('mapWithState', () => {
  it('emits what the function returns and keeps the state it updates (Spark data)', async () => {
    const run = await runMapWithState(sparkInput, countingFn);
    expect(run.times).toEqual([1000, 2000, 3000, 4000, 5000, 6000, 7000]);
    expectBatches(run.outputs, sparkOutput, true);
    expectBatches(run.states, sparkStates, true);
  });

  it('calls the function once per new value of a key, in arrival order', async () => {
    let calls = 0;
    const run = await runMapWithState<string, string[], string>(
      [
        [
          ['k', 'x'],
          ['k', 'y'],
          ['j', 'p'],
          ['k', 'z'],
        ],
        [['k', 'w']],
      ],
      (key, value, state) => {
        calls++;
        const values = [...(state.getOption() ?? []), value!];
        state.update(values);
        return `${key}:${values.join('')}`;
      },
      {},
      { partitions: 3 },
    );
    expectBatches(run.outputs, [['k:x', 'k:xy', 'j:p', 'k:xyz'], ['k:xyzw']], true);
    expectBatches(
      run.states,
      [
        [
          ['k', ['x', 'y', 'z']],
          ['j', ['p']],
        ],
        [
          ['k', ['x', 'y', 'z', 'w']],
          ['j', ['p']],
        ],
      ],
      true,
    );
    // Five values, five calls, although both the output and the snapshots are consumed.
    expect(calls).toBe(5);
  });

  it('emits nothing for calls that return undefined', async () => {
    const run = await runMapWithState(
      [[word('a'), word('b'), word('a')]],
      (key, _value, state: KeyState<number>) => {
        const count = (state.getOption() ?? 0) + 1;
        state.update(count);
        return count > 1 ? `${key} again` : undefined;
      },
    );
    expect(run.outputs).toEqual([['a again']]);
    expectBatches(
      run.states,
      [
        [
          ['a', 2],
          ['b', 1],
        ],
      ],
      true,
    );
  });

  it('keeps the state unchanged for keys without new values, without calling the function', async () => {
    const called: string[] = [];
    const run = await runMapWithState(
      [[word('a'), word('b')], [word('a')], []],
      (key, value, state: KeyState<number>) => {
        called.push(key);
        state.update((state.getOption() ?? 0) + value!);
        return key;
      },
    );
    // Without a timeout the function only runs for new values; b's state is carried over.
    expect(called.sort()).toEqual(['a', 'a', 'b']);
    expectBatches(run.outputs, [['a', 'b'], ['a'], []], true);
    expectBatches(
      run.states,
      [
        [
          ['a', 1],
          ['b', 1],
        ],
        [
          ['a', 2],
          ['b', 1],
        ],
        [
          ['a', 2],
          ['b', 1],
        ],
      ],
      true,
    );
  });

  it('remove() drops the key from the state while its output is still emitted', async () => {
    const input: Pair<string, string>[][] = [
      [
        ['a', 'keep'],
        ['b', 'keep'],
      ],
      [['a', 'drop']],
      [['a', 'keep']],
      [],
    ];
    const run = await runMapWithState<string, number, string>(input, (key, value, state) => {
      const existed = state.exists();
      if (value === 'drop') {
        state.remove();
        return `${key} removed`;
      }
      state.update((state.getOption() ?? 0) + 1);
      return `${key} ${existed ? 'updated' : 'created'}`;
    });
    expectBatches(run.outputs, [['a created', 'b created'], ['a removed'], ['a created'], []], true);
    expectBatches(
      run.states,
      [
        [
          ['a', 1],
          ['b', 1],
        ],
        [['b', 1]],
        [
          ['a', 1],
          ['b', 1],
        ],
        [
          ['a', 1],
          ['b', 1],
        ],
      ],
      true,
    );
  });

  it('update() after remove() in the same batch keeps the key with the new state', async () => {
    const run = await runMapWithState<string, string, string>(
      [
        [
          ['k', 'set:1'],
          ['k', 'remove'],
          ['k', 'set:2'],
        ],
        [
          ['j', 'set:9'],
          ['j', 'remove'],
        ],
      ],
      (key, value, state) => {
        if (value === 'remove') state.remove();
        else state.update(value!.slice(4));
        return `${key}:${state.exists()}:${state.getOption()}`;
      },
      {},
      { partitions: 3 },
    );
    expectBatches(
      run.outputs,
      [
        ['k:true:1', 'k:false:undefined', 'k:true:2'],
        ['j:true:9', 'j:false:undefined'],
      ],
      true,
    );
    expectBatches(run.states, [[['k', '2']], [['k', '2']]], true);
  });

  it('getOption() and exists() report no state for a new key, get() throws a helpful error', async () => {
    const run = await runMapWithState<number, number, string>(
      [[['n', 1]], [['n', 2]]],
      (_key, value, state) => {
        let getResult: string;
        try {
          getResult = `get=${state.get()}`;
        } catch (error) {
          expect(error).toBeInstanceOf(StateAccessError);
          getResult = `get threw: ${(error as Error).message}`;
        }
        const report = `exists=${state.exists()} option=${state.getOption()} ${getResult}`;
        state.update(value!);
        return report;
      },
    );
    expect(run.outputs).toEqual([
      [
        'exists=false option=undefined get threw: no state for this key: check exists() before get(), or use getOption()',
      ],
      ['exists=true option=1 get=1'],
    ]);
  });

  it('update(undefined) throws, pointing to remove()', async () => {
    const run = await runMapWithState<number, number, string>([[['n', 1]]], (_key, _value, state) => {
      try {
        state.update(undefined as unknown as number);
        return 'no error';
      } catch (error) {
        return `${(error as Error).constructor.name}: ${(error as Error).message}`;
      }
    });
    expect(run.outputs).toEqual([
      ['StateAccessError: state cannot be undefined: call remove() to drop the key'],
    ]);
    expect(run.states).toEqual([[]]);
  });

  describe('timeout', () => {
    type Call = { key: string; value: number | undefined; timingOut: boolean; state: number | undefined };

    it('calls a key idle for the timeout exactly once, with no value and isTimingOut(), then removes it', async () => {
      const calls: Call[] = [];
      const run = await runMapWithState<number, number, string>(
        [[word('a'), word('b')], [word('a')], [word('a')], [], [], []],
        (key, value, state) => {
          calls.push({ key, value, timingOut: state.isTimingOut(), state: state.getOption() });
          if (state.isTimingOut()) return `${key} timed out with ${state.get()}`;
          const count = (state.getOption() ?? 0) + value!;
          state.update(count);
          return `${key}=${count}`;
        },
        { timeout: '2s' },
      );
      // b was last updated at 1 s: idle for 2 s at 3 s. a was last updated at 3 s: idle for 2 s at 5 s.
      expectBatches(
        run.outputs,
        [['a=1', 'b=1'], ['a=2'], ['a=3', 'b timed out with 1'], [], ['a timed out with 3'], []],
        true,
      );
      expectBatches(
        run.states,
        [
          [
            ['a', 1],
            ['b', 1],
          ],
          [
            ['a', 2],
            ['b', 1],
          ],
          [['a', 3]],
          [['a', 3]],
          [],
          [],
        ],
        true,
      );
      const timeouts = calls.filter((c) => c.timingOut);
      expect(timeouts).toEqual([
        { key: 'b', value: undefined, timingOut: true, state: 1 },
        { key: 'a', value: undefined, timingOut: true, state: 3 },
      ]);
      expect(calls.filter((c) => !c.timingOut).every((c) => c.value === 1)).toBe(true);
    });

    it('a value arriving in the batch the key would time out keeps it alive', async () => {
      const run = await runMapWithState<number, number, string>(
        [[word('a')], [], [word('a')], [], []],
        (key, _value, state) => {
          if (state.isTimingOut()) return `${key} timed out`;
          state.update((state.getOption() ?? 0) + 1);
          return undefined;
        },
        { timeout: '2s' },
      );
      expect(run.outputs).toEqual([[], [], [], [], ['a timed out']]);
      expect(run.states).toEqual([[['a', 1]], [['a', 1]], [['a', 2]], [['a', 2]], []]);
    });

    it('a timed-out key that receives new values later starts from no state', async () => {
      const run = await runMapWithState<number, number, string>(
        [[word('a')], [], [], [word('a')]],
        (key, _value, state) => {
          if (state.isTimingOut()) return `${key} timed out`;
          const existed = state.exists();
          state.update(1);
          return `${key} ${existed ? 'existed' : 'new'}`;
        },
        { timeout: '1s' },
      );
      expect(run.outputs).toEqual([['a new'], ['a timed out'], [], ['a new']]);
      expect(run.states).toEqual([[['a', 1]], [], [], [['a', 1]]]);
    });

    it('emits nothing for a timing-out call that returns undefined, and still removes the key', async () => {
      const run = await runMapWithState<number, number, string>(
        [[word('a')], [], []],
        (key, _value, state) => {
          if (state.isTimingOut()) return undefined;
          state.update(1);
          return key;
        },
        { timeout: '1s' },
      );
      expect(run.outputs).toEqual([['a'], [], []]);
      expect(run.states).toEqual([[['a', 1]], [], []]);
    });

    it('update() during the timing-out call fails the batch naming mapWithState', async () => {
      const { outputs, error } = await runUntilFailure(
        (ssc) =>
          ssc.queueStream([[word('a')], [], []]).mapWithState<string, number, number, string>(
            (key, _value, state) => {
              state.update(1);
              return key;
            },
            { timeout: '1s' },
          ),
        3,
      );
      expect(error).toBeInstanceOf(BatchFailedError);
      expect((error as BatchFailedError).batchTime).toBe(2000);
      expect((error as BatchFailedError).operator).toBe('mapWithState');
      expect(chainMessages(error)).toContain('cannot update the state of a key that is timing out');
      expect([...outputs.keys()]).toEqual([1000]);
    });

    it('remove() during the timing-out call fails the batch, saying the key is removed anyway', async () => {
      const { error } = await runUntilFailure(
        (ssc) =>
          ssc.queueStream([[word('a')], [], []]).mapWithState<string, number, number, string>(
            (key, _value, state) => {
              if (state.isTimingOut()) state.remove();
              else state.update(1);
              return key;
            },
            { timeout: '1s' },
          ),
        3,
      );
      expect(error).toBeInstanceOf(BatchFailedError);
      expect(chainMessages(error).join('\n')).toContain(
        'cannot remove the state of a key that is timing out; it is removed anyway',
      );
    });
  });

  describe('initial state', () => {
    it('starts from the initial state: its keys are in the snapshots from the first batch', async () => {
      const run = await runMapWithState([[word('a')], [], [word('z'), word('b')]], countingFn, {
        initial: [
          ['a', 10],
          ['z', 100],
        ],
      });
      expectBatches(run.outputs, [[11], [], [101, 1]], true);
      expectBatches(
        run.states,
        [
          [
            ['a', 11],
            ['z', 100],
          ],
          [
            ['a', 11],
            ['z', 100],
          ],
          [
            ['a', 11],
            ['z', 101],
            ['b', 1],
          ],
        ],
        true,
      );
    });

    it('an initial key that never receives values times out after the timeout, counted from zero time', async () => {
      const run = await runMapWithState<number, number, string>(
        [[], [], []],
        (key, _value, state) => (state.isTimingOut() ? `${key} timed out with ${state.get()}` : key),
        { initial: [['z', 100]], timeout: '2s' },
      );
      expect(run.outputs).toEqual([[], ['z timed out with 100'], []]);
      expect(run.states).toEqual([[['z', 100]], [], []]);
    });
  });

  it('a throwing function fails the batch naming mapWithState and the batch time, after earlier batches ran', async () => {
    const { outputs, error } = await runUntilFailure(
      (ssc) =>
        ssc.queueStream([[word('a')], [word('b')], [word('boom')]]).mapWithState((key: string) => {
          if (key === 'boom') throw new Error('mapping exploded');
          return key;
        }),
      3,
    );
    expect(error).toBeInstanceOf(BatchFailedError);
    expect((error as BatchFailedError).batchTime).toBe(3000);
    expect((error as BatchFailedError).operator).toBe('mapWithState');
    expect(chainMessages(error)).toContain('mapping exploded');
    expect([...outputs.entries()]).toEqual([
      [1000, ['a']],
      [2000, ['b']],
    ]);
  });

  it('gives the same output and state whatever the partitions and workers', async () => {
    for (const partitions of [1, 2, 3, 4]) {
      for (const workers of [1, 2, 3]) {
        const run = await runMapWithState(
          sparkInput,
          countingFn,
          { partitions: 5 - partitions },
          { partitions, workers },
        );
        expectBatches(run.outputs, sparkOutput, true);
        expectBatches(run.states, sparkStates, true);
      }
    }
  });

  it('gives the same results with a timeout whatever the partitions and workers', async () => {
    const input = [[word('a'), word('b'), word('c')], [word('a')], [word('c')], [], [word('b')], [], []];
    const fn = (key: string, _value: number | undefined, state: KeyState<number>) => {
      if (state.isTimingOut()) return `${key}:timeout`;
      state.update((state.getOption() ?? 0) + 1);
      return `${key}:${state.get()}`;
    };
    const reference = await runMapWithState(input, fn, { timeout: '2s' }, { partitions: 1, workers: 1 });
    expectBatches(
      reference.outputs,
      [
        ['a:1', 'b:1', 'c:1'],
        ['a:2'],
        ['b:timeout', 'c:2'],
        ['a:timeout'],
        ['b:1', 'c:timeout'],
        [],
        ['b:timeout'],
      ],
      true,
    );
    for (const partitions of [2, 3, 4]) {
      for (const workers of [1, 2, 3]) {
        const run = await runMapWithState(input, fn, { timeout: '2s', partitions }, { partitions, workers });
        expectBatches(run.outputs, reference.outputs, true);
        expectBatches(run.states, reference.states, true);
      }
    }
  });
});
