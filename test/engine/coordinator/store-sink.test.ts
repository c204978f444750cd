import { StoreSink, StreamingContext } from '../../../src/engine/api';
import type { SinkPartitionInfo } from '../../../src/engine/graph';
import { MemoryStore } from '../../../src/engine/io/memory-store';
import type { Pair } from '../../../src/engine/plan';
import { BatchFailedError, readManifest } from '../../../src/engine/schedule';
import { runContext } from './helpers';

function context(partitions = 2): StreamingContext {
  return new StreamingContext({ batchInterval: 1000, partitions, name: 'sinks' });
}

/** A StoreSink whose writes fail once per partition, after the object was written (a task dying late). */
class FlakyAfterWriteSink<T> extends StoreSink<T> {
  readonly failed = new Set<number>();

  override async writePartition(rows: T[], info: SinkPartitionInfo): Promise<void> {
    await super.writePartition(rows, info);
    if (!this.failed.has(info.partition)) {
      this.failed.add(info.partition);
      throw new Error(`lost the connection after writing partition ${info.partition}`);
    }
  }
}

describe('StoreSink', () => {
  it('writes one object per batch and partition plus a commit marker', async () => {
    const sink = new StoreSink<number>('out', { parts: 'partition' });
    const ssc = context(2);
    ssc
      .queueStream([[1, 2, 3], [4], []])
      .map((x) => x * 10)
      .writeTo(sink);
    const { store, error } = await runContext(ssc, { batches: 3 });
    expect(error).toBeUndefined();
    const keys = (await store.list('sinks/out/')).map((e) => e.key);
    const expected: string[] = [];
    for (const t of ['000000000001000', '000000000002000', '000000000003000']) {
      expected.push(
        `sinks/out/${t}/_COMMITTED`,
        `sinks/out/${t}/part-00000.jsonl`,
        `sinks/out/${t}/part-00001.jsonl`,
      );
    }
    expect(keys).toEqual(expected);
    const part0 = new TextDecoder().decode((await store.get('sinks/out/000000000001000/part-00000.jsonl'))!);
    expect(part0).toBe('10\n20');
    const marker = JSON.parse(
      new TextDecoder().decode((await store.get('sinks/out/000000000001000/_COMMITTED'))!),
    );
    expect(marker).toEqual({ batchTime: 1000, partitions: 2 });
  });

  it('writes each batch as one object from the coordinator by default, with no marker', async () => {
    const sink = new StoreSink<Pair<string, number>>('whole');
    const ssc = context(3);
    ssc
      .queueStream([['a', 'b', 'a', 'c', 'a'], ['b']])
      .map((w) => [w, 1] as Pair<string, number>)
      .reduceByKey((x, y) => x + y, 4)
      .writeTo(sink);
    const { store } = await runContext(ssc, { batches: 2 });
    expect([...(await sink.readBatch(store, 1000))!].sort()).toEqual([
      ['a', 3],
      ['b', 1],
      ['c', 1],
    ]);
    expect((await store.list('sinks/whole/000000000001000/')).map((e) => e.key.split('/').pop())).toEqual([
      'batch.jsonl',
    ]);
    expect(await sink.committedBatches(store)).toEqual([1000, 2000]);
  });

  it('reads back every committed batch exactly once, in order', async () => {
    const sink = new StoreSink<Pair<string, number>>('counts', { parts: 'partition' });
    const ssc = context(3);
    ssc
      .queueStream([['a', 'b', 'a', 'c', 'a'], ['b'], [], ['z', 'z']])
      .map((w) => [w, 1] as Pair<string, number>)
      .reduceByKey((x, y) => x + y, 2)
      .writeTo(sink);
    const { store } = await runContext(ssc, { batches: 4 });
    expect(await sink.committedBatches(store)).toEqual([1000, 2000, 3000, 4000]);
    const batches = await Promise.all([1000, 2000, 3000, 4000].map((t) => sink.readBatch(store, t)));
    expect(batches.map((rows) => [...rows!].sort())).toEqual([
      [
        ['a', 3],
        ['b', 1],
        ['c', 1],
      ],
      [['b', 1]],
      [],
      [['z', 2]],
    ]);
    // One object per reduce partition.
    expect((await store.list('sinks/counts/000000000001000/part-')).length).toBe(2);
  });

  it('keeps sink output when batch data is garbage-collected', async () => {
    const sink = new StoreSink<number>('kept');
    const ssc = context(1);
    ssc.queueStream([[1], [2], [3], [4]]).writeTo(sink);
    const { store } = await runContext(ssc, { batches: 4 });
    expect(await sink.readBatch(store, 1000)).toEqual([1]);
    expect(await store.list('batches/000000000001000/')).toEqual([]);
  });

  it.each([1, 2])(
    'does not duplicate rows when a task is retried after its user function threw once (%p partitions)',
    async (partitions) => {
      const sink = new StoreSink<string>('retried', { parts: 'partition' });
      const ssc = context(partitions);
      let calls = 0;
      ssc
        .queueStream([['a', 'b', 'c', 'd']])
        .map((w) => {
          calls++;
          if (calls === 2) throw new Error('transient');
          return w.toUpperCase();
        })
        .writeTo(sink);
      const { store, error } = await runContext(ssc, { batches: 1, retry: { maxAttempts: 3 } });
      expect(error).toBeUndefined();
      expect(await sink.readBatch(store, 1000)).toEqual(['A', 'B', 'C', 'D']);
      const stage = (await readManifest(store, 1000))!.stages.find((s) => s.kind === 'sink')!;
      expect(stage.attempts).toBe(partitions + 1);
    },
  );

  it('does not duplicate rows when a task fails after it already wrote its partition', async () => {
    const sink = new FlakyAfterWriteSink<number>('late', { parts: 'partition' });
    const ssc = context(2);
    ssc.queueStream([[1, 2, 3, 4, 5]]).writeTo(sink);
    const { store, error } = await runContext(ssc, { batches: 1, retry: { maxAttempts: 2 } });
    expect(error).toBeUndefined();
    expect([...sink.failed].sort()).toEqual([0, 1]);
    expect(await sink.readBatch(store, 1000)).toEqual([1, 2, 3, 4, 5]);
    expect((await readManifest(store, 1000))!.stages[0].attempts).toBe(4);
  });

  it('reads a failed, uncommitted batch as undefined even when some partitions were written', async () => {
    const sink = new StoreSink<number>('partial', { parts: 'partition' });
    // A record the map throws on fails the batch (the default would dead-letter it and commit).
    const ssc = new StreamingContext({
      batchInterval: 1000,
      partitions: 2,
      name: 'sinks',
      onRecordError: 'fail',
    });
    ssc
      .queueStream([
        [1, 2],
        [3, -1],
        [5, 6],
      ])
      .map((x) => {
        if (x < 0) throw new Error('negative');
        return x;
      })
      .writeTo(sink);
    const { store, error } = await runContext(ssc, { batches: 3, retry: { maxAttempts: 2 } });
    expect(error).toBeInstanceOf(BatchFailedError);
    expect((error as BatchFailedError).batchTime).toBe(2000);
    // Partition 0 of the failed batch ([3]) was written; partition 1 ([-1]) never was.
    expect(await store.has('sinks/partial/000000000002000/part-00000.jsonl')).toBe(true);
    expect(await store.has('sinks/partial/000000000002000/_COMMITTED')).toBe(false);
    expect(await sink.readBatch(store, 2000)).toBeUndefined();
    expect(await sink.readBatch(store, 3000)).toBeUndefined();
    expect(await sink.committedBatches(store)).toEqual([1000]);
    expect(await sink.readBatch(store, 1000)).toEqual([1, 2]);
  });

  it('reads a batch time that never ran as undefined', async () => {
    expect(await new StoreSink('none').readBatch(new MemoryStore(), 1000)).toBeUndefined();
    expect(await new StoreSink('none').committedBatches(new MemoryStore())).toEqual([]);
  });

  it('keeps sinks with different names apart', async () => {
    const evens = new StoreSink<number>('evens');
    const odds = new StoreSink<number>('odds');
    const ssc = context(2);
    const numbers = ssc.queueStream([[1, 2, 3, 4]]);
    numbers.filter((x) => x % 2 === 0).writeTo(evens);
    numbers.filter((x) => x % 2 === 1).writeTo(odds);
    const { store } = await runContext(ssc, { batches: 1 });
    expect(await evens.readBatch(store, 1000)).toEqual([2, 4]);
    expect(await odds.readBatch(store, 1000)).toEqual([1, 3]);
  });

  // BUG: a sink write that keeps failing is blamed on the stage's last operator ('map'): TaskFailedError
  // falls back to stage.node.operator, so the batch "failed in map" although map never threw.
  // Expected the failure to name the output, "writeTo 'broken'".
  it('names the sink, not the map before it, when the sink write keeps failing', async () => {
    const broken = new (class extends StoreSink<number> {
      override async writePartition(): Promise<void> {
        throw new Error('disk full');
      }
    })('broken', { parts: 'partition' });
    const ssc = context(1);
    ssc
      .queueStream([[1]])
      .map((x) => x + 1)
      .writeTo(broken);
    const { error } = await runContext(ssc, { batches: 1, retry: { maxAttempts: 2 } });
    expect(error).toBeInstanceOf(BatchFailedError);
    expect((error as Error).message).toContain('disk full');
    expect((error as BatchFailedError).operator).toMatch(/^writeTo 'broken'/);
  });

  // BUG: JSON.stringify(undefined) is undefined, so a row of undefined becomes an empty line; the batch
  // commits, and readBatch then throws a SyntaxError on that line. Expected: the batch either fails at
  // write time with a clear message or reads back (e.g. undefined as null) without throwing.
  it('never commits a batch that readBatch cannot parse (undefined rows)', async () => {
    const sink = new StoreSink<number | undefined>('holes');
    const ssc = context(1);
    ssc
      .queueStream([[1, 2, 3]])
      .map((x) => (x === 2 ? undefined : x))
      .writeTo(sink);
    const { store } = await runContext(ssc, { batches: 1 });
    const read = await sink.readBatch(store, 1000).catch((e: unknown) => e);
    expect(read).not.toBeInstanceOf(Error);
  });
});
