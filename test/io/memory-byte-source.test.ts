import { MemoryByteSource } from '../../src/engine/io/memory-byte-source';
import type { SourceInterval } from '../../src/engine/io/ports';

const encoder = new TextEncoder();
const log = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((s) => encoder.encode(s));
const interval = (batchIndex: number): SourceInterval => ({ batchIndex, batchTime: 0, intervalMs: 1000 });
const noRanges = async () => [];

describe('MemoryByteSource', () => {
  it('gives each interval the next rate x interval records, decoded', async () => {
    const source = new MemoryByteSource('log', { log, ratePerSecond: 3, decoder: 'utf8' });
    expect((await source.read(interval(0))).records).toEqual(['a', 'b', 'c']);
    expect((await source.read(interval(1))).records).toEqual(['d', 'e', 'f']);
    expect((await source.read(interval(2))).records).toEqual(['g']);
    expect((await source.read(interval(3))).records).toEqual([]);
  });

  it('lets tasks read contiguous partitions that together are the interval, with their ranges', async () => {
    const source = new MemoryByteSource('log', { log, ratePerSecond: 7, decoder: 'utf8' });
    const parts = await Promise.all(
      [0, 1, 2].map((p) => source.direct.readPartition(interval(0), p, 3, noRanges)),
    );
    expect(parts.map((part) => part.records)).toEqual([['a', 'b', 'c'], ['d', 'e', 'f'], ['g']]);
    const ranges = await source.direct.ranges(interval(0), 3, undefined);
    expect(ranges.map((r) => [r.partition, r.first, r.last, r.count])).toEqual([
      [0, '0', '2', 3],
      [1, '3', '5', 3],
      [2, '6', '6', 1],
    ]);
  });

  it('starts over from the first record past the end when cycling', async () => {
    const source = new MemoryByteSource('log', { log, ratePerSecond: 5, decoder: 'utf8', cycle: true });
    expect((await source.read(interval(1))).records).toEqual(['f', 'g', 'a', 'b', 'c']);
  });

  it('hands decoders views of the log, not copies', async () => {
    const pool = encoder.encode('xxyyzz');
    const source = new MemoryByteSource<Uint8Array>('pool', {
      log: { length: 3, at: (p) => pool.subarray(2 * p, 2 * p + 2) },
      ratePerSecond: 3,
      decoder: (data) => data,
    });
    const {
      records: [first],
    } = await source.direct.readPartition(interval(0), 0, 1, noRanges);
    expect(first.buffer).toBe(pool.buffer);
  });

  it("hands the log's own views as raw records with the 'bytes' decoder, also when replaying", async () => {
    const pool = encoder.encode('xxyyzz');
    const source = new MemoryByteSource<Uint8Array>('pool', {
      log: { length: 3, at: (p) => pool.subarray(2 * p, 2 * p + 2) },
      ratePerSecond: 3,
      decoder: 'bytes',
    });
    const batch = await source.read(interval(0));
    expect(batch.records.map((r) => r.buffer === pool.buffer)).toEqual([true, true, true]);
    expect((await source.replay(batch.ranges)).map((r) => Buffer.from(r).toString())).toEqual([
      'xx',
      'yy',
      'zz',
    ]);
  });

  it('replays recorded ranges as the same records', async () => {
    const source = new MemoryByteSource('log', { log, ratePerSecond: 2, decoder: 'utf8' });
    const batch = await source.read(interval(1));
    expect(await source.replay(batch.ranges)).toEqual(batch.records);
  });

  it('gives two-parameter decoders the position as the sequence number', async () => {
    const source = new MemoryByteSource('log', {
      log,
      ratePerSecond: 2,
      decoder: (_data, meta) => `${meta.shard}:${meta.sequenceNumber}`,
    });
    expect((await source.read(interval(1))).records).toEqual(['log:2', 'log:3']);
  });

  it('dead-letters an undecodable record with its position, on the coordinator or in a task', async () => {
    const bad = [encoder.encode('ok'), Uint8Array.of(0xff), encoder.encode('ok')];
    const source = new MemoryByteSource('log', { log: bad, ratePerSecond: 3, decoder: 'utf8' });
    for (const read of [source.read(interval(0)), source.direct.readPartition(interval(0), 0, 1, noRanges)]) {
      const batch = await read;
      expect(batch.records).toEqual(['ok', 'ok']);
      expect(batch.deadLetters?.map((d) => [d.shard, d.position, [...d.data]])).toEqual([
        ['log', '1', [0xff]],
      ]);
    }
  });
});
