import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DatasetChangedError,
  DatasetDecodeError,
  DatasetEmptyError,
  defineBatchJob,
  ManualClock,
  MemoryStore,
  type Pair,
  runBatchJob,
  StreamingContext,
} from '../../../src/engine';
import { CountingStore, writeObjects } from './helpers';

/** A stream joined with `data`; runs `batches` batches (after any committed ones) on `store`. */
async function joinJob(
  data: MemoryStore,
  store: MemoryStore,
  batches: number,
): Promise<Pair<string, unknown>[]> {
  const ssc = new StreamingContext({ batchInterval: '1s', partitions: 2, name: 'joined' });
  const out: Pair<string, unknown>[] = [];
  const events = Array.from({ length: 10 }, (_, i): Pair<string, number>[] => [['x', i]]);
  ssc
    .queueStream(events)
    .joinDataset(ssc.dataset<Pair<string, string>>(data, { format: 'jsonl', name: 'refs' }))
    .foreachBatch(async (rdd) => {
      out.push(...(await rdd.collect()));
    });
  ssc.start({
    store,
    clock: new ManualClock(0, { autoAdvance: true }),
    zeroTime: 0,
    batches,
    retry: { backoffMs: 0 },
    batchRetries: 0,
  });
  await ssc.awaitTermination();
  return out;
}

describe('dataset errors and restarts', () => {
  it('reads the dataset once more after a coordinator restart, and no more', async () => {
    const data = new CountingStore();
    await writeObjects(data, { 'a.jsonl': ['["x","ex"]'], 'b.jsonl': ['["y","why"]'] });
    const store = new MemoryStore();
    expect(await joinJob(data, store, 3)).toEqual([
      ['x', [0, 'ex']],
      ['x', [1, 'ex']],
      ['x', [2, 'ex']],
    ]);
    expect(Object.fromEntries(data.reads)).toEqual({ 'a.jsonl': 1, 'b.jsonl': 1 });
    expect(await joinJob(data, store, 3)).toEqual([
      ['x', [3, 'ex']],
      ['x', [4, 'ex']],
      ['x', [5, 'ex']],
    ]);
    expect(Object.fromEntries(data.reads)).toEqual({ 'a.jsonl': 2, 'b.jsonl': 2 });
    expect(await store.has('datasets/refs/listing.json')).toBe(true);
  });

  it('refuses to restart on an object that changed after the listing was recorded', async () => {
    const data = new MemoryStore();
    await writeObjects(data, { 'a.jsonl': ['["x","ex"]'] });
    const store = new MemoryStore();
    await joinJob(data, store, 1);
    await writeObjects(data, { 'a.jsonl': ['["x","changed"]'] });
    const restart = joinJob(data, store, 1);
    await expect(restart).rejects.toThrow(DatasetChangedError);
    await expect(restart).rejects.toThrow(/object 'a.jsonl' changed after the job recorded its listing/);
  });

  it('fails the start when the dataset location is empty, writing no batch', async () => {
    const store = new MemoryStore();
    const run = joinJob(new MemoryStore(), store, 2);
    await expect(run).rejects.toThrow(DatasetEmptyError);
    await expect(run).rejects.toThrow(/dataset 'refs': .* is empty or missing/);
    expect(await store.list('manifests/')).toEqual([]);
  });

  it('fails the start when the dataset directory does not exist', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sluice-dataset-'));
    try {
      const job = defineBatchJob({
        name: 'missing',
        build: (ctx) => ctx.dataset(join(root, 'no-such-dir')).rdd(),
      });
      await expect(runBatchJob(job)).rejects.toThrow(
        new RegExp(`${join(root, 'no-such-dir')} is empty or missing`),
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('names the object and line of a bad JSON line', async () => {
    const data = new MemoryStore();
    await writeObjects(data, { 'a.jsonl': ['{"ok":1}'], 'b.jsonl': ['{"ok":2}', '', '{"ok":'] });
    const job = defineBatchJob({
      name: 'bad-json',
      build: (ctx) => ctx.dataset(data, { format: 'jsonl' }).rdd(),
    });
    const run = runBatchJob(job);
    await expect(run).rejects.toThrow(DatasetDecodeError);
    await expect(run).rejects.toThrow(/object 'b.jsonl' line 3 is not valid JSON/);
  });

  it('names the object whose user decoder threw', async () => {
    const data = new MemoryStore();
    await writeObjects(data, { 'a.bin': ['x'] });
    const job = defineBatchJob({
      name: 'bad-decoder',
      build: (ctx) =>
        ctx
          .dataset(data, {
            decode: () => {
              throw new Error('not a row');
            },
          })
          .rdd(),
    });
    await expect(runBatchJob(job)).rejects.toThrow(/decoding object 'a.bin' failed: not a row/);
  });

  it('reads lines, text and decoded rows', async () => {
    const data = new MemoryStore();
    await writeObjects(data, { 'a.txt': ['one', '', 'two'], 'b.txt': ['three'] });
    const read = (options: object) =>
      runBatchJob(defineBatchJob({ name: 'formats', build: (ctx) => ctx.dataset(data, options).rdd() }));
    expect((await read({})).sort()).toEqual(['one', 'three', 'two']);
    expect((await read({ format: 'text' })).sort()).toEqual(['one\n\ntwo\n', 'three\n']);
    const sizes = await read({ decode: (bytes: Uint8Array, key: string) => [`${key}:${bytes.length}`] });
    expect(sizes.sort()).toEqual(['a.txt:9', 'b.txt:6']);
  });
});
