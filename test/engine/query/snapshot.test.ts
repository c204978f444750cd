import type { Pair } from '../../../src/engine';
import { contextFor } from '../../../src/engine/api';
import { manifestKey, readManifest } from '../../../src/engine/catalog';
import { ManualClock } from '../../../src/engine/io/clock';
import { MemoryStore } from '../../../src/engine/io/memory-store';
import {
  BatchNotQueryableError,
  NoCommittedBatchError,
  QueryFailedError,
  snapshot,
  UnknownStreamError,
} from '../../../src/engine/query';
import job, { LINES, NAMES, recorded } from './fixtures/word-state-job';
import { contentsOf, startStepped } from './helpers';

beforeEach(() => {
  for (const batches of recorded.values()) batches.clear();
});

describe('snapshot', () => {
  it('returns exactly what the job recorded for its newest committed batch, batch after batch', async () => {
    const store = new MemoryStore();
    const run = startStepped(store, LINES.length);
    try {
      for (let i = 0; i < LINES.length; i++) {
        const time = await run.step();
        for (const name of NAMES) {
          const expected = recorded.get(name)!.get(time);
          if (expected === undefined) continue; // a window that slides every 2 s
          const rdd = await snapshot(job, name, { store });
          expect({ name, time: rdd.time, rows: await rdd.collect() }).toEqual({ name, time, rows: expected });
        }
      }
    } finally {
      await run.stop();
    }
  });

  it('answers from committed batches only while batches keep running', async () => {
    const store = new MemoryStore();
    const context = contextFor(job, () => undefined);
    context.start({
      store,
      clock: new ManualClock(0, { autoAdvance: true }),
      zeroTime: 0,
      batches: LINES.length,
      workers: 2,
      retry: { backoffMs: 0 },
    });
    const running = context.awaitTermination();
    let done = false;
    running.finally(() => {
      done = true;
    });
    const seen = new Set<number>();
    for (let finished = false; !finished; ) {
      finished = done; // one more query once the job has ended
      // Queries in another process run beside the job: let the job's timers and I/O go on too.
      await new Promise((resolve) => setImmediate(resolve));
      const rdd = await snapshot(job, 'totals', { store }).catch((e: unknown) =>
        e instanceof NoCommittedBatchError ? undefined : Promise.reject(e),
      );
      if (!rdd) continue;
      // Recorded by the job before it committed, so it is there for any committed time.
      expect(await rdd.collect()).toEqual(recorded.get('totals')!.get(rdd.time));
      seen.add(rdd.time);
    }
    await running;
    expect(seen.size).toBeGreaterThan(0);
  });

  it('returns a named older batch that is still retained, as the job recorded it', async () => {
    const store = new MemoryStore();
    const run = startStepped(store, 9);
    try {
      for (let i = 0; i < 9; i++) await run.step();
      // Totals checkpoint every 4 s: 8 s is kept, and 9 s builds on it.
      for (const at of [8000, 9000]) {
        const rdd = await snapshot<Pair<string, number>>(job, 'totals', { store, at });
        expect(await rdd.collect()).toEqual(recorded.get('totals')!.get(at));
      }
      const window = await snapshot(job, 'window', { store, at: 8000 });
      expect(await window.collect()).toEqual(recorded.get('window')!.get(8000));
    } finally {
      await run.stop();
    }
  });

  it('answers filters, joins and aggregations over the snapshot as over the recorded batch', async () => {
    const store = new MemoryStore();
    const run = startStepped(store, 8);
    try {
      for (let i = 0; i < 8; i++) await run.step();
      const totals = await snapshot<Pair<string, number>>(job, 'totals', { store });
      const recent = await snapshot<Pair<string, number>>(job, 'recent', { store });
      const busy = await totals.filter(([, n]) => n >= 3).collect();
      const joined = await totals.join(recent.filter(([, n]) => n > 0)).collect();
      const byParity = await totals
        .map(([word, n]): Pair<string, number> => [word < 'c' ? 'early' : 'late', n])
        .reduceByKey((a, b) => a + b)
        .collect();
      const expectedTotals = recorded.get('totals')!.get(8000) as Pair<string, number>[];
      const expectedRecent = new Map(recorded.get('recent')!.get(8000) as Pair<string, number>[]);
      expect(sorted(busy)).toEqual(sorted(expectedTotals.filter(([, n]) => n >= 3)));
      expect(sorted(joined)).toEqual(
        sorted(
          expectedTotals
            .filter(([word]) => (expectedRecent.get(word) ?? 0) > 0)
            .map(([word, n]) => [word, [n, expectedRecent.get(word)]]),
        ),
      );
      const early = expectedTotals.filter(([w]) => w < 'c').reduce((sum, [, n]) => sum + n, 0);
      const late = expectedTotals.filter(([w]) => w >= 'c').reduce((sum, [, n]) => sum + n, 0);
      expect(sorted(byParity)).toEqual(
        sorted([
          ['early', early],
          ['late', late],
        ]),
      );
      expect(await totals.take(2)).toEqual(expectedTotals.slice(0, 2));
    } finally {
      await run.stop();
    }
  });

  it("leaves the running job's store byte for byte unchanged, also when the query throws", async () => {
    const store = new MemoryStore();
    const run = startStepped(store, 12);
    try {
      for (let i = 0; i < 11; i++) await run.step();
      // Blocks and held state of earlier batches are gone: the query recovers them in its own memory.
      await store.delete((await store.list('batches/')).map((e) => e.key));
      const before = await contentsOf(store);
      for (const name of ['sessions', 'totals', 'recent', 'words']) {
        const rdd = await snapshot(job, name, { store });
        expect({ name, rows: await rdd.collect() }).toEqual({ name, rows: recorded.get(name)!.get(11_000) });
      }
      const window = await snapshot(job, 'window', { store, at: 10_000 });
      expect(await window.collect()).toEqual(recorded.get('window')!.get(10_000));
      const failing = await snapshot<Pair<string, number>>(job, 'totals', { store });
      const error = await failing
        .map(([word]) => {
          if (word === 'a') throw new Error('query bug');
          return word;
        })
        .repartition(3)
        .collect()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(QueryFailedError);
      expect((error as Error).message).toMatch(
        /collect\(\) on stream 'totals' of job 'word-state' at batch 11000/,
      );
      expect(await contentsOf(store)).toEqual(before);
      // ...and the job goes on as if no query had run.
      const next = await run.step();
      expect(next).toBe(12_000);
      const totals = await snapshot(job, 'totals', { store });
      expect(await totals.collect()).toEqual(recorded.get('totals')!.get(12_000));
    } finally {
      await run.stop();
    }
  });

  it('never sees a batch that is claimed but not committed', async () => {
    const store = new MemoryStore();
    const run = startStepped(store, 5);
    try {
      for (let i = 0; i < 5; i++) await run.step();
    } finally {
      await run.stop();
    }
    const last = (await readManifest(store, 5000))!;
    const claimed = { ...last, batchTime: 6000, status: 'running' };
    await store.put(manifestKey(6000), new TextEncoder().encode(JSON.stringify(claimed)));
    const totals = await snapshot(job, 'totals', { store });
    expect(totals.time).toBe(5000);
    expect(await totals.collect()).toEqual(recorded.get('totals')!.get(5000));
    await expect(snapshot(job, 'totals', { store, at: 6000 })).rejects.toThrow(
      /cannot query stream 'totals' at 6000: batch 6000 is running, not committed; the stream's newest committed batch is 5000/,
    );
    await expect(snapshot(job, 'totals', { store, at: 7000 })).rejects.toThrow(/batch 7000 has not run/);
  });

  it('refuses a batch the job no longer keeps, naming the retained range', async () => {
    const store = new MemoryStore();
    const run = startStepped(store, 20);
    try {
      for (let i = 0; i < 20; i++) await run.step();
    } finally {
      await run.stop();
    }
    // The job keeps 14 s (the input, for an incremental window checkpointed every 10 s): after 20 s, what
    // is older than 7 s is gone, the totals checkpoint at 4 s with it, so totals rebuild from 8 s on.
    const error = await snapshot(job, 'totals', { store, at: 7000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BatchNotQueryableError);
    expect((error as Error).message).toMatch(
      /batch 7000 is no longer retained \(the checkpoint of stream \d+ at 4000 was cleaned by the job\); retained batches of stream 'totals' are 8000 to 20000, every 1000 ms/,
    );
    const oldest = await snapshot(job, 'totals', { store, at: 8000 });
    expect(await oldest.collect()).toEqual(recorded.get('totals')!.get(8000));
    // Past its manifest history the job forgets a batch's input ranges, and so the batch.
    await store.delete(
      (await store.list('manifests/')).filter((e) => e.key <= manifestKey(8000)).map((e) => e.key),
    );
    await expect(snapshot(job, 'totals', { store, at: 8000 })).rejects.toThrow(
      /batch 8000 is no longer retained \(its manifest was cleaned by the job\); retained batches of stream 'totals' are 9000 to 20000/,
    );
  });

  it('fails a query whose batch the job cleaned while it ran, saying to query a newer batch', async () => {
    const store = new MemoryStore();
    const run = startStepped(store, 6);
    try {
      for (let i = 0; i < 6; i++) await run.step();
    } finally {
      await run.stop();
    }
    const totals = await snapshot(job, 'totals', { store, at: 6000 });
    // As the job's cleaner would, once later checkpoints made it unnecessary.
    await store.delete((await store.list('checkpoints/000000000004000/')).map((e) => e.key));
    const error = await totals.collect().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueryFailedError);
    expect((error as Error).message).toMatch(
      /^collect\(\) on stream 'totals' of job 'word-state' at batch 6000 failed: .*checkpoint.*missing.*; the job may have cleaned what the batch needs while the query ran: query a newer batch$/,
    );
  });

  it('refuses times that are not batches of the stream', async () => {
    const store = new MemoryStore();
    const run = startStepped(store, 3);
    try {
      for (let i = 0; i < 3; i++) await run.step();
    } finally {
      await run.stop();
    }
    await expect(snapshot(job, 'window', { store, at: 3000 })).rejects.toThrow(
      /produces a dataset every 2000 ms, at 0 \+ k \* 2000; 3000 is not one of them \(the newest is 2000\)/,
    );
    await expect(snapshot(job, 'totals', { store, at: 2500 })).rejects.toThrow(
      /batch times are 0 \+ k \* 1000 ms \(k >= 1\)/,
    );
    expect((await snapshot(job, 'window', { store })).time).toBe(2000);
  });

  it('refuses options it cannot use', async () => {
    await expect(snapshot(job, 'totals', {} as never)).rejects.toThrow(/snapshot needs \{ store \}/);
    await expect(snapshot(job, 'totals', { store: new MemoryStore(), workers: 0 })).rejects.toThrow(
      /workers must be a positive whole number, got 0/,
    );
    await expect(snapshot(job, 'totals', { store: 'bucket/prefix' })).rejects.toThrow(
      /store 'bucket\/prefix' is ambiguous/,
    );
  });

  it('names the known streams when asked for an unknown one', async () => {
    const error = await snapshot(job, 'sesions', { store: new MemoryStore() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownStreamError);
    expect((error as Error).message).toBe(
      "job 'word-state' has no stream named 'sesions'; its named streams are 'words', 'totals', 'sessions', 'recent', 'window'",
    );
  });

  it('says a job has no committed batch, and spots a store root passed for the job store', async () => {
    const empty = new MemoryStore();
    await expect(snapshot(job, 'totals', { store: empty })).rejects.toThrow(NoCommittedBatchError);
    await expect(snapshot(job, 'totals', { store: empty })).rejects.toThrow(
      /job 'word-state' has no committed batch in this store; start the job first/,
    );
    const root = new MemoryStore();
    await root.put('jobs/word-state/job.json', new TextEncoder().encode('{}'));
    await expect(snapshot(job, 'totals', { store: root })).rejects.toThrow(
      /looks like a runtime's store root/,
    );
  });
});

function sorted<T>(rows: T[]): T[] {
  return [...rows].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
}
