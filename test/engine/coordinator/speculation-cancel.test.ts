import { ManualClock, MemoryStore, type Pair, readManifest, StreamingContext } from '../../../src/engine';
import { runTask, type TaskResult, type TaskSpec } from '../../../src/engine/exec';
import type { DStreamGraph } from '../../../src/engine/graph';
import { InvokeCancelledError } from '../../../src/engine/io/errors';
import { InProcessInvoker } from '../../../src/engine/io/in-process-invoker';
import type { InvokeOptions, Invoker } from '../../../src/engine/io/ports';
import { DEFAULT_RETRY, DEFAULT_SPECULATION, runSpeculatively } from '../../../src/engine/schedule';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * A fake clock for runSpeculatively: tasks finish "instantly" (median 0 ms), and the test moves time on
 * so that a task still running is far over the 100 ms threshold at the next check, whatever the machine.
 * Its sleeps end after a real millisecond whatever time they ask for, so the straggler checks keep coming.
 */
function fakeTime() {
  let time = 0;
  const clock = {
    now: () => time,
    sleepUntil: (_time: number, { signal }: { signal?: AbortSignal } = {}) =>
      new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', wake);
          resolve();
        };
        const timer = setTimeout(wake, 1);
        signal?.addEventListener('abort', wake, { once: true });
      }),
  };
  return {
    clock,
    advance: (ms: number) => {
      time += ms;
    },
  };
}

/** Lets settled copies reach runSpeculatively (their results arrive in microtasks). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

const policy = { ...DEFAULT_SPECULATION, minThresholdMs: 100, checkEveryMs: 2 };

/** Runs `count` tasks where every copy is a deferred the test settles, and records each copy's signal. */
function controlledTasks(
  count: number,
  options: { startsRunning?: (index: number) => boolean; quantile?: number } = {},
) {
  const copies: {
    index: number;
    isBackup: boolean;
    signal: AbortSignal;
    outcome: ReturnType<typeof deferred>;
  }[] = [];
  const launched: ((copy: (typeof copies)[number]) => void)[] = [];
  const time = fakeTime();
  const run = runSpeculatively(
    count,
    (index, isBackup, started, signal) => {
      if (options.startsRunning?.(index) ?? true) started();
      const copy = { index, isBackup, signal, outcome: deferred<unknown>() };
      copies.push(copy);
      for (const listener of launched.splice(0)) listener(copy);
      return copy.outcome.promise;
    },
    { ...policy, quantile: options.quantile ?? policy.quantile },
    time.clock,
  );
  run.catch(() => undefined); // awaited by the tests that expect a rejection
  const copy = (index: number, isBackup: boolean) => {
    const found = copies.find((c) => c.index === index && c.isBackup === isBackup);
    if (!found) throw new Error(`no ${isBackup ? 'backup' : 'original'} copy of task ${index} was launched`);
    return found;
  };
  /** Resolves with the next copy launched (a backup, since the originals all launch at once). */
  const nextLaunch = () => new Promise<(typeof copies)[number]>((resolve) => launched.push(resolve));
  return { run, copies, copy, time, nextLaunch };
}

describe('runSpeculatively: cancelling copies whose result is no longer wanted', () => {
  it('gives every copy of every task a signal of its own, not yet aborted', async () => {
    const tasks = controlledTasks(3, { startsRunning: () => false });
    const signals = tasks.copies.map((c) => c.signal);
    expect(signals).toHaveLength(3);
    expect(new Set(signals).size).toBe(3);
    expect(signals.every((s) => !s.aborted)).toBe(true);
    tasks.copies.forEach((c) => {
      c.outcome.resolve(c.index);
    });
    await expect(tasks.run).resolves.toMatchObject({ results: [0, 1, 2] });
  });

  it("aborts the backup's signal when the original copy wins", async () => {
    const tasks = controlledTasks(2);
    const backupLaunched = tasks.nextLaunch();
    tasks.copy(0, false).outcome.resolve('task 0');
    await settle(); // task 0 finished at time 0: the median is 0 ms
    tasks.time.advance(10_000); // task 1 has now run far longer than the threshold
    const backup = await backupLaunched;
    expect(backup).toMatchObject({ index: 1, isBackup: true });
    const original = tasks.copy(1, false);
    expect(backup.signal.aborted).toBe(false);
    expect(original.signal.aborted).toBe(false);

    original.outcome.resolve('task 1 by the original');
    const result = await tasks.run;

    expect(result).toMatchObject({
      results: ['task 0', 'task 1 by the original'],
      backups: 1,
      backupWins: 0,
    });
    expect(backup.signal.aborted).toBe(true);
    backup.outcome.resolve('too late'); // the loser finishing afterwards changes nothing
    await settle();
    expect(result.results[1]).toBe('task 1 by the original');
  });

  it("aborts the original's signal when the backup copy wins", async () => {
    const tasks = controlledTasks(2);
    const backupLaunched = tasks.nextLaunch();
    tasks.copy(0, false).outcome.resolve('task 0');
    await settle();
    tasks.time.advance(10_000);
    const backup = await backupLaunched;
    const original = tasks.copy(1, false);

    backup.outcome.resolve('task 1 by the backup');
    const result = await tasks.run;

    expect(result).toMatchObject({ results: ['task 0', 'task 1 by the backup'], backups: 1, backupWins: 1 });
    expect(original.signal.aborted).toBe(true);
  });

  it('does not abort the copies of other tasks when one task wins', async () => {
    const tasks = controlledTasks(3, { startsRunning: () => false });
    tasks.copy(0, false).outcome.resolve('task 0');
    await settle();
    expect(tasks.copy(1, false).signal.aborted).toBe(false);
    expect(tasks.copy(2, false).signal.aborted).toBe(false);
    tasks.copy(1, false).outcome.resolve('task 1');
    tasks.copy(2, false).outcome.resolve('task 2');
    await expect(tasks.run).resolves.toMatchObject({ results: ['task 0', 'task 1', 'task 2'] });
  });

  it('does not abort the backup when only the original failed: the backup may still succeed', async () => {
    const tasks = controlledTasks(2);
    const backupLaunched = tasks.nextLaunch();
    tasks.copy(0, false).outcome.resolve('task 0');
    await settle();
    tasks.time.advance(10_000);
    const backup = await backupLaunched;

    tasks.copy(1, false).outcome.reject(new Error('instance lost'));
    await settle();
    expect(backup.signal.aborted).toBe(false);

    backup.outcome.resolve('task 1 by the backup');
    await expect(tasks.run).resolves.toMatchObject({ results: ['task 0', 'task 1 by the backup'] });
  });

  it('aborts the signals of every copy still running when a task fails for good', async () => {
    // Tasks 1 and 2 report that they started; task 3 never does (still queued), so it gets no backup.
    const tasks = controlledTasks(4, { startsRunning: (index) => index !== 3, quantile: 0.5 });
    const first = tasks.nextLaunch();
    tasks.copy(0, false).outcome.resolve('task 0');
    tasks.copy(1, false).outcome.resolve('task 1');
    await settle();
    tasks.time.advance(10_000);
    const backup = await first; // the only task running and unfinished is 2
    expect(backup).toMatchObject({ index: 2, isBackup: true });
    const stillRunning = [tasks.copy(2, false), backup, tasks.copy(3, false)];
    expect(stillRunning.map((c) => c.signal.aborted)).toEqual([false, false, false]);

    const failure = new Error('task 3 failed on every attempt');
    tasks.copy(3, false).outcome.reject(failure);

    await expect(tasks.run).rejects.toBe(failure);
    expect(stillRunning.map((c) => c.signal.aborted)).toEqual([true, true, true]);
  });

  it('aborts the signals of the other tasks when a task with one copy fails, speculation off', async () => {
    const time = fakeTime();
    const signals: AbortSignal[] = [];
    const failure = new Error('bad partition');
    const run = runSpeculatively(
      3,
      async (index, _isBackup, started, signal) => {
        started();
        signals[index] = signal;
        if (index === 1) throw failure;
        return new Promise<string>(() => undefined); // still running, never finishes
      },
      { ...policy, enabled: false },
      time.clock,
    );
    await expect(run).rejects.toBe(failure);
    expect(signals[0].aborted).toBe(true);
    expect(signals[2].aborted).toBe(true);
  });
});

/**
 * Around the in-process invoker of a batch, with one slot: the original of map task 1 of batch 1 holds the
 * slot until its backup has been sent, so that backup has to wait in the queue. With `fillerAheadOfBackup`
 * another job's task (sharing the invoker) is queued just before the backup.
 */
class StragglingInvoker implements Invoker<TaskSpec, TaskResult> {
  /** Every spec sent, and how each invocation ended. */
  readonly sent: { spec: TaskSpec; outcome?: 'resolved' | 'cancelled' | 'failed' }[] = [];
  /** Specs the inner invoker actually ran. */
  readonly ran: TaskSpec[] = [];
  private readonly inner: InProcessInvoker<TaskSpec | { filler: true }, TaskResult>;
  private readonly backupSent = deferred<void>();

  constructor(
    graph: () => DStreamGraph,
    store: MemoryStore,
    private readonly fillerAheadOfBackup: boolean,
  ) {
    this.inner = new InProcessInvoker(async (request) => {
      if ('filler' in request) {
        // Another job's task: it takes a little while, as any real task does.
        await new Promise((r) => setTimeout(r, 20));
        return { filler: true } as unknown as TaskResult;
      }
      this.ran.push(request);
      if (isStraggler(request)) {
        // Hold the slot until the backup is queued (or long enough for the test's assertions to fail).
        await Promise.race([this.backupSent.promise, new Promise((r) => setTimeout(r, 10_000))]);
      }
      return runTask(request, { store, graphFor: graph });
    }, 1);
  }

  get parallelism(): number {
    return this.inner.parallelism;
  }

  invoke(spec: TaskSpec, options?: InvokeOptions): Promise<TaskResult> {
    const entry: (typeof this.sent)[number] = { spec };
    this.sent.push(entry);
    const isBackup = isStragglerTask(spec) && spec.attempt !== 0;
    if (isBackup && this.fillerAheadOfBackup) void this.inner.invoke({ filler: true });
    const result = this.inner.invoke(spec, options);
    if (isBackup) this.backupSent.resolve();
    result.then(
      () => {
        entry.outcome = 'resolved';
      },
      (error) => {
        entry.outcome = error instanceof InvokeCancelledError ? 'cancelled' : 'failed';
      },
    );
    return result;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

const isStragglerTask = (spec: TaskSpec) =>
  spec.batchTime === 1000 && spec.kind === 'shuffleMap' && spec.partition === 1;
const isStraggler = (spec: TaskSpec) => isStragglerTask(spec) && spec.attempt === 0;

async function straggledBatch(fillerAheadOfBackup: boolean) {
  const ssc = new StreamingContext({ batchInterval: '1s', partitions: 2, name: 'spec-cancel' });
  const out: Pair<string, number>[][] = [];
  ssc
    .queueStream([['a', 'b', 'c', 'd', 'a', 'b', 'c', 'a'], ['a']])
    .map((w): Pair<string, number> => [w, 1])
    .reduceByKey((a, b) => a + b, 2)
    .foreachBatch(async (rdd) => {
      out.push(await rdd.collect());
    });
  const store = new MemoryStore();
  const invoker = new StragglingInvoker(() => ssc.graph, store, fillerAheadOfBackup);
  ssc.start({
    store,
    invoker,
    clock: new ManualClock(0, { autoAdvance: true }),
    zeroTime: 0,
    batches: 2,
    // No backoff: were a cancelled copy retried, the retry would be sent at once, within the batch.
    retry: { backoffMs: 0 },
    // Quantile 0.5 of 2 map tasks: one finished task is enough to speculate on the other.
    speculation: { quantile: 0.5, minThresholdMs: 50, checkEveryMs: 5 },
  });
  await ssc.awaitTermination();
  const mapStage = (await readManifest(store, 1000))!.stages.find((s) => s.kind === 'shuffleMap')!;
  return {
    out,
    mapStage,
    /** Copies of the straggling task sent to the invoker: [attempt, outcome]. */
    sent: invoker.sent.filter((s) => isStragglerTask(s.spec)).map((s) => [s.spec.attempt, s.outcome]),
    /** Attempts of the straggling task the invoker really ran. */
    ran: invoker.ran.filter(isStragglerTask).map((s) => s.attempt),
  };
}

describe('speculated copies in a batch', () => {
  const expectedFirstBatch = [
    ['a', 3],
    ['b', 2],
    ['c', 2],
    ['d', 1],
  ];

  it('drops a backup still queued behind other work when its original wins, and does not retry it', async () => {
    const { out, mapStage, sent, ran } = await straggledBatch(true);

    expect(out[0].sort()).toEqual(expectedFirstBatch);
    expect(out[1]).toEqual([['a', 1]]);
    expect(mapStage).toMatchObject({ speculated: 1, speculativeWins: 0 });
    // One original and one backup (numbered after the original's attempts) were sent; the backup was
    // cancelled in the queue and never sent again.
    expect(sent).toEqual([
      [0, 'resolved'],
      [DEFAULT_RETRY.maxAttempts, 'cancelled'],
    ]);
    expect(ran).toEqual([0]);
  });

  it("numbers a backup's attempts after the original's, and the batch output stays correct", async () => {
    // Nothing else is queued: the backup waits right behind its own original for the only slot.
    const { out, mapStage, sent, ran } = await straggledBatch(false);

    expect(out[0].sort()).toEqual(expectedFirstBatch);
    expect(out[1]).toEqual([['a', 1]]);
    expect(mapStage).toMatchObject({ speculated: 1, speculativeWins: 0 });
    expect(sent.map(([attempt]) => attempt)).toEqual([0, DEFAULT_RETRY.maxAttempts]);
    // Whether the backup was dropped or got the slot, a backup never ran under the original's numbers.
    expect(ran[0]).toBe(0);
    for (const attempt of ran.slice(1)) expect(attempt).toBeGreaterThanOrEqual(DEFAULT_RETRY.maxAttempts);
  });

  // The slot a winning original frees must not go to its own backup queued right behind it: the
  // invoker hands slots out only after the finished task's callers have reacted (and aborted the backup).
  it('drops a backup queued right behind its own original when the original wins', async () => {
    const { sent, ran } = await straggledBatch(false);
    expect(sent).toEqual([
      [0, 'resolved'],
      [DEFAULT_RETRY.maxAttempts, 'cancelled'],
    ]);
    expect(ran).toEqual([0]);
  });
});
