import { SinkOutputConflictError, StoreSink, StreamingContext } from '../../../src/engine/api';
import { ConditionFailedError } from '../../../src/engine/io/errors';
import { MemoryStore } from '../../../src/engine/io/memory-store';
import type { Store, WriteCondition } from '../../../src/engine/io/ports';
import type { Pair } from '../../../src/engine/plan';
import { BatchFailedError } from '../../../src/engine/schedule';
import { runContext } from './helpers';

const text = (s: string) => new TextEncoder().encode(s);

function wordCounts(sink: StoreSink<Pair<string, number>>, batches: string[][]) {
  const ssc = new StreamingContext({ batchInterval: 1000, partitions: 2, name: 'layouts' });
  ssc
    .queueStream(batches)
    .map((w): Pair<string, number> => [w, 1])
    .reduceByKey((a, b) => a + b)
    .writeTo(sink);
  return ssc;
}

/** What earlier versions wrote for a batch: parts, then a marker naming how many. */
async function writeOldLayout(store: Store, sink: string, time: number, parts: string[]) {
  const dir = `sinks/${sink}/${String(time).padStart(15, '0')}`;
  for (const [p, body] of parts.entries())
    await store.put(`${dir}/part-${String(p).padStart(5, '0')}.jsonl`, text(body));
  await store.put(`${dir}/_COMMITTED`, text(JSON.stringify({ batchTime: time, partitions: parts.length })));
}

function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = error; e !== undefined; e = (e as Error).cause) chain.push(e);
  return chain;
}

describe('StoreSink layouts', () => {
  it('writes a batch as one object, one PUT, that commits it by existing', async () => {
    const sink = new StoreSink<Pair<string, number>>('one');
    const puts: string[] = [];
    const store = new (class extends MemoryStore {
      override putIf(key: string, body: Uint8Array, condition: WriteCondition) {
        if (key.startsWith('sinks/')) puts.push(key);
        return super.putIf(key, body, condition);
      }
    })();
    await runContext(wordCounts(sink, [['a', 'b', 'a'], []]), { batches: 2, store });
    expect(puts).toEqual(['sinks/one/000000000001000/batch.jsonl', 'sinks/one/000000000002000/batch.jsonl']);
    expect(await sink.committedBatches(store)).toEqual([1000, 2000]);
    expect([...(await sink.readBatch(store, 1000))!].sort()).toEqual([
      ['a', 2],
      ['b', 1],
    ]);
    expect(await sink.readBatch(store, 2000)).toEqual([]);
  });

  it('reads batches written by earlier versions (parts and a marker) beside new ones, in order', async () => {
    const sink = new StoreSink<Pair<string, number>>('mixed');
    const store = new MemoryStore();
    await writeOldLayout(store, 'mixed', 1000, ['["a",1]\n["b",2]']);
    await writeOldLayout(store, 'mixed', 2000, ['["c",1]', '', '["d",4]']);
    // A part whose marker never came: not committed.
    await store.put('sinks/mixed/000000000003000/part-00000.jsonl', text('["lost",1]'));
    await store.put('sinks/mixed/000000000004000/batch.jsonl', text('["e",5]'));
    expect(await sink.committedBatches(store)).toEqual([1000, 2000, 4000]);
    expect(await sink.readBatch(store, 1000)).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
    expect(await sink.readBatch(store, 2000)).toEqual([
      ['c', 1],
      ['d', 4],
    ]);
    expect(await sink.readBatch(store, 3000)).toBeUndefined();
    expect(await sink.readBatch(store, 4000)).toEqual([['e', 5]]);
  });

  it('reads a batch found in both layouts once, from its batch object', async () => {
    const sink = new StoreSink<number>('both');
    const store = new MemoryStore();
    await writeOldLayout(store, 'both', 1000, ['1\n2']);
    await store.put('sinks/both/000000000001000/batch.jsonl', text('1\n2'));
    expect(await sink.committedBatches(store)).toEqual([1000]);
    expect(await sink.readBatch(store, 1000)).toEqual([1, 2]);
  });

  it('ignores objects under its prefix that it never writes', async () => {
    const sink = new StoreSink<number>('strict');
    const store = new MemoryStore();
    await store.put('sinks/strict/part-1/batch.jsonl', text('9'));
    await store.put('sinks/strict/000000000001000/extra/_COMMITTED', text('{}'));
    await store.put('sinks/strict/1000/batch.jsonl', text('9'));
    expect(await sink.committedBatches(store)).toEqual([]);
  });

  it('keeps a batch object an earlier attempt wrote when this attempt computes the same rows', async () => {
    const sink = new StoreSink<Pair<string, number>>('rerun');
    const store = new MemoryStore();
    // An attempt that died after writing the batch's output; the coordinator then runs the batch again.
    await store.put('sinks/rerun/000000000001000/batch.jsonl', text('["a",1]'));
    const { error } = await runContext(wordCounts(sink, [['a']]), { batches: 1, store });
    expect(error).toBeUndefined();
    expect(await sink.readBatch(store, 1000)).toEqual([['a', 1]]);
  });

  it('writes again when a refused write left nothing to read back (a concurrent write that failed)', async () => {
    const sink = new StoreSink<number>('raced', { parts: 'partition' });
    let refusals = 0;
    const store = new (class extends MemoryStore {
      override putIf(key: string, body: Uint8Array, condition: WriteCondition) {
        if (refusals++ === 0) return Promise.reject(new ConditionFailedError('409 (injected)', { key }));
        return super.putIf(key, body, condition);
      }
    })();
    await sink.writePartition([1, 2], { batchTime: 1000, partition: 0, numPartitions: 1, store });
    await sink.commitBatch({ batchTime: 1000, numPartitions: 1, store });
    expect(await sink.readBatch(store, 1000)).toEqual([1, 2]);
  });

  it.each([
    ['batch', 'batch.jsonl'],
    ['partition', 'part-00000.jsonl'],
  ] as const)(
    'stops the batch, keeping neither silently, when an earlier attempt wrote other rows (%s parts)',
    async (parts, object) => {
      const sink = new StoreSink<Pair<string, number>>('conflict', { parts });
      const store = new MemoryStore();
      const key = `sinks/conflict/000000000001000/${object}`;
      await store.put(key, text('["a",7]'));
      const ssc = wordCounts(sink, [['a']]);
      const { error } = await runContext(ssc, { batches: 1, store, retry: { maxAttempts: 2 } });
      expect(error).toBeInstanceOf(BatchFailedError);
      const conflict = causes(error).find(
        (e) =>
          e instanceof SinkOutputConflictError ||
          (e as { remoteName?: string }).remoteName === 'SinkOutputConflictError',
      );
      expect((conflict as Error).message).toContain(key);
      // Output once written is never replaced (a batch object commits by existing; parts wait for a marker).
      expect(new TextDecoder().decode(await store.get(key))).toBe('["a",7]');
      expect(await sink.committedBatches(store)).toEqual(parts === 'batch' ? [1000] : []);
    },
  );
});
