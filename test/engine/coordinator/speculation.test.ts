import { ManualClock, MemoryStore, type Pair, readManifest, StreamingContext } from '../../../src/engine';
import { runTask, type TaskResult, type TaskSpec } from '../../../src/engine/exec';
import { InProcessInvoker } from '../../../src/engine/io/in-process-invoker';
import { DEFAULT_SPECULATION, runSpeculatively } from '../../../src/engine/schedule';

const fast = { ...DEFAULT_SPECULATION, minThresholdMs: 20, checkEveryMs: 5 };

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('speculative execution', () => {
  it('launches one backup for a task far slower than the median and takes the first copy to finish', async () => {
    const straggler = deferred<string>();
    const launched: string[] = [];
    const run = await runSpeculatively(
      4,
      async (i, isBackup, started) => {
        started();
        launched.push(`${i}${isBackup ? ' backup' : ''}`);
        if (i === 3 && !isBackup) return straggler.promise;
        return `result ${i}`;
      },
      fast,
    );
    straggler.resolve('late'); // the loser finishes afterwards and is ignored
    expect(run.results).toEqual(['result 0', 'result 1', 'result 2', 'result 3']);
    expect(run).toMatchObject({ backups: 1, backupWins: 1 });
    expect(launched.filter((l) => l.includes('backup'))).toEqual(['3 backup']);
  });

  it('does not fail a task whose first copy failed while its backup is still running', async () => {
    const primary = deferred<string>();
    const run = runSpeculatively(
      3,
      async (i, isBackup, started) => {
        started();
        if (i === 2 && !isBackup) return primary.promise;
        if (i === 2) await new Promise((r) => setTimeout(r, 30));
        return `ok ${i}`;
      },
      fast,
    );
    setTimeout(() => primary.reject(new Error('lost worker')), 60);
    await expect(run).resolves.toMatchObject({ results: ['ok 0', 'ok 1', 'ok 2'], backups: 1 });
  });

  it('fails a task once every copy of it failed', async () => {
    const run = runSpeculatively(
      2,
      async (i, isBackup, started) => {
        started();
        if (i === 1) {
          await new Promise((r) => setTimeout(r, isBackup ? 10 : 80));
          throw new Error(`copy ${isBackup ? 'backup' : 'primary'} failed`);
        }
        return 'ok';
      },
      fast,
    );
    await expect(run).rejects.toThrow(/failed/);
  });

  it('does not count time spent queued behind other tasks as running time', async () => {
    const invoker = new InProcessInvoker<number, number>(async (i) => {
      await new Promise((r) => setTimeout(r, 60));
      return i;
    }, 2);
    const run = await runSpeculatively(
      8,
      (i, _isBackup, started) => invoker.invoke(i, { onStart: started }),
      { ...fast, minThresholdMs: 30 },
    );
    expect(run).toMatchObject({ results: [0, 1, 2, 3, 4, 5, 6, 7], backups: 0 });
  });

  it('launches no backup when speculation is off', async () => {
    const slow = deferred<string>();
    const run = runSpeculatively(3, async (i) => (i === 0 ? slow.promise : 'quick'), {
      ...fast,
      enabled: false,
    });
    setTimeout(() => slow.resolve('slow'), 100);
    await expect(run).resolves.toMatchObject({ results: ['slow', 'quick', 'quick'], backups: 0 });
  });

  it('times tasks and paces its straggler checks on the clock it is given, not on real timers', async () => {
    const clock = new ManualClock(0);
    const straggler = deferred<string>();
    const launched: string[] = [];
    const run = runSpeculatively(
      4,
      async (i, isBackup, started) => {
        started();
        launched.push(`${i}${isBackup ? ' backup' : ''}`);
        return i === 3 && !isBackup ? straggler.promise : `result ${i}`;
      },
      { ...fast, checkEveryMs: 1000 },
      clock,
    );
    for (let turns = 0; turns < 20; turns++) await new Promise(setImmediate);
    // No real time counts: until the clock moves, the straggler is not slow and no check has run.
    expect(launched).toEqual(['0', '1', '2', '3']);
    clock.advance(1000);
    await expect(run).resolves.toMatchObject({ backups: 1, backupWins: 1 });
    expect(launched).toContain('3 backup');
    // The checks stop with the stage.
    expect(clock.pendingSleepers).toBe(0);
  });

  it('runs a backup of a straggling task in a real batch and records it in the manifest', async () => {
    const ssc = new StreamingContext({ batchInterval: '1s', partitions: 4, name: 'spec' });
    const out: Pair<string, number>[][] = [];
    ssc
      .queueStream([['a', 'b', 'c', 'd', 'a', 'b', 'c', 'a']])
      .map((w): Pair<string, number> => [w, 1])
      .reduceByKey((a, b) => a + b, 2)
      .foreachBatch(async (rdd) => {
        out.push(await rdd.collect());
      });
    const store = new MemoryStore();
    let stalled = false;
    // Partition 0 of the first map stage straggles on its first copy (a slow Lambda instance).
    const invoker = new InProcessInvoker<TaskSpec, TaskResult>(async (spec) => {
      if (spec.kind === 'shuffleMap' && spec.partition === 0 && !stalled) {
        stalled = true;
        await new Promise((r) => setTimeout(r, 1500));
      }
      return runTask(spec, { store, graphFor: () => ssc.graph });
    }, 8);
    ssc.start({
      store,
      invoker,
      clock: new ManualClock(0, { autoAdvance: true }),
      zeroTime: 0,
      batches: 1,
      speculation: { minThresholdMs: 50, checkEveryMs: 5 },
    });
    await ssc.awaitTermination();
    expect(out[0].sort()).toEqual([
      ['a', 3],
      ['b', 2],
      ['c', 2],
      ['d', 1],
    ]);
    const mapStage = (await readManifest(store, 1000))!.stages.find((s) => s.kind === 'shuffleMap')!;
    expect(mapStage).toMatchObject({ speculated: 1, speculativeWins: 1 });
  });
});
