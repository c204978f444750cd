import type { PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { putAll } from '../../src/engine/io/kinesis-admin';
import { KinesisSource, type KinesisSourceOptions } from '../../src/engine/io/kinesis-source';
import { ConfigError } from '../../src/engine/util/errors';
import { interval, readBatches, text, useLocalKinesis } from '../support/kinesis-harness';
import { kplAggregate } from '../support/kpl';

const kinesis = useLocalKinesis('caps');

function source(stream: string, options: Partial<KinesisSourceOptions<string>> = {}) {
  return new KinesisSource<string>({ streamName: stream, client: kinesis.client, ...options });
}

describe('KinesisSource caps per shard and batch', () => {
  it('drains a 25,000-record backlog over several batches under the default cap', async () => {
    const stream = await kinesis.newStream();
    const entries: PutRecordsRequestEntry[] = Array.from({ length: 25_000 }, (_, i) => ({
      Data: text(`r${i}`),
      PartitionKey: `k${i % 16}`,
    }));
    await putAll(kinesis.client, stream, entries);
    const src = source(stream);

    const batches = await readBatches(src, 4);

    expect(batches.map((b) => b.records.length)).toEqual([10_000, 10_000, 5_000, 0]);
    expect(batches.map((b) => b.ranges[0].count)).toEqual([10_000, 10_000, 5_000, 0]);
    const all = batches.flatMap((b) => b.records);
    expect(all).toEqual(entries.map((_, i) => `r${i}`));
    // A replay of a capped batch's range is exact.
    const fresh = source(stream);
    expect(await fresh.replay(batches[1].ranges, interval(1))).toEqual(batches[1].records);
  }, 30_000);

  it('counts de-aggregated KPL user records against the cap', async () => {
    const stream = await kinesis.newStream();
    const users = (prefix: string) =>
      ['1', '2', '3'].map((n) => ({ partitionKey: `${prefix}${n}`, data: Buffer.from(`${prefix}${n}`) }));
    const [blobA] = await kplAggregate(users('a'));
    const [blobB] = await kplAggregate(users('b'));
    await kinesis.put(
      stream,
      ['x', blobA, 'y', blobB, 'z'].map((data) => ({ data, partitionKey: 'k' })),
    );

    // 4 user records per batch: x + a1..a3, then y + b1..b3, then z.
    const four = await readBatches(source(stream, { maxRecordsPerShard: 4 }), 4);
    expect(four.map((b) => b.records)).toEqual([['x', 'a1', 'a2', 'a3'], ['y', 'b1', 'b2', 'b3'], ['z'], []]);

    // An aggregate that would straddle the cap waits for the next batch, where it is consumed whole.
    const src = source(stream, { maxRecordsPerShard: 2 });
    const two = await readBatches(src, 6);
    expect(two.map((b) => b.records)).toEqual([
      ['x'],
      ['a1', 'a2', 'a3'],
      ['y'],
      ['b1', 'b2', 'b3'],
      ['z'],
      [],
    ]);
    for (const [i, batch] of two.entries()) {
      expect(batch.ranges[0].count).toBe(batch.records.length);
      expect(await src.replay(batch.ranges, interval(i))).toEqual(batch.records);
    }
  });

  it('caps the bytes read from a shard per batch', async () => {
    const stream = await kinesis.newStream();
    const records = Array.from({ length: 5 }, (_, i) => `${i}`.padEnd(100, '.'));
    await putAll(
      kinesis.client,
      stream,
      records.map((r) => ({ Data: text(r), PartitionKey: 'k' })),
    );

    const batches = await readBatches(source(stream, { maxBytesPerShard: 250 }), 4);

    expect(batches.map((b) => b.records.length)).toEqual([2, 2, 1, 0]);
    expect(batches.flatMap((b) => b.records)).toEqual(records);
  });

  it('rejects caps that are not whole numbers of at least 1', () => {
    expect(() => source('s', { maxBytesPerShard: 0 })).toThrow(ConfigError);
    expect(() => source('s', { maxBytesPerShard: 1.5 })).toThrow(/maxBytesPerShard must be a whole number/);
    expect(() => source('s', { maxRecordsPerShard: -1 })).toThrow(/maxRecordsPerShard/);
    expect(() => source('s', { maxRecordsPerShard: Number.POSITIVE_INFINITY })).not.toThrow();
  });
});
