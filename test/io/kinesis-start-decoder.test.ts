import { ManualClock } from '../../src/engine/io/clock';
import type { RecordMeta } from '../../src/engine/io/decoders';
import { KinesisSource } from '../../src/engine/io/kinesis-source';
import { ConfigError } from '../../src/engine/util/errors';
import { interval, useLocalKinesis } from '../support/kinesis-harness';
import { kplAggregate } from '../support/kpl';

const SHARD0 = 'shardId-000000000000';

const kinesis = useLocalKinesis('start');

describe('KinesisSource starting at a timestamp', () => {
  it('starts at a timestamp', async () => {
    for (const asNumber of [false, true]) {
      const stream = await kinesis.newStream();
      await kinesis.put(stream, ['old1', 'old2']);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const from = new Date();
      await kinesis.put(stream, ['new1', 'new2']);

      const timestamp = asNumber ? from.getTime() : from;
      const src = new KinesisSource({
        streamName: stream,
        client: kinesis.client,
        startingPosition: { timestamp },
      });
      const first = await src.read(interval(0), undefined);
      expect(first.records).toEqual(['new1', 'new2']);
      await kinesis.put(stream, ['later']);
      const second = await src.read(interval(1), first.ranges);
      expect(second.records).toEqual(['later']);
    }
  });

  it('refuses timestamps it cannot honour, saying why', () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const make = (timestamp: unknown) =>
      new KinesisSource({
        streamName: 's',
        client: kinesis.client,
        clock,
        startingPosition: { timestamp } as never,
      });
    expect(() => make(new Date('nope'))).toThrow(/not a valid time/);
    expect(() => make(1_700_000_000)).toThrow(/looks like seconds, not milliseconds: pass 1700000000000/);
    expect(() => make(Date.UTC(2027, 0, 1))).toThrow(/in the future.*use 'LATEST'/);
    expect(() => make('2025-01-01')).toThrow(ConfigError);
    expect(() => make(-5)).toThrow(/before 1970/);
    expect(() => make(Date.UTC(2025, 0, 1))).not.toThrow();
    expect(
      () =>
        new KinesisSource({
          streamName: 's',
          client: kinesis.client,
          startingPosition: 'AT_TIMESTAMP' as never,
        }),
    ).toThrow(/startingPosition must be 'TRIM_HORIZON', 'LATEST' or \{ timestamp/);
  });
});

describe('KinesisSource decoders', () => {
  it('passes partition key, sequence number and arrival time to the decoder', async () => {
    const stream = await kinesis.newStream();
    const before = Date.now() - 1000;
    const users = ['u0', 'u1'].map((d) => ({ partitionKey: `user-${d}`, data: Buffer.from(d) }));
    const [blob] = await kplAggregate(users);
    const puts = await kinesis.put(stream, ['plain', blob]);
    const seen: { text: string; meta: RecordMeta }[] = [];
    const src = new KinesisSource({
      streamName: stream,
      client: kinesis.client,
      decoder: (data, meta) => {
        const record = { text: Buffer.from(data).toString(), meta };
        seen.push(record);
        return record;
      },
    });

    const batch = await src.read(interval(0), undefined);

    expect(batch.records.map((r) => r.text)).toEqual(['plain', 'u0', 'u1']);
    expect(batch.records.map((r) => r.meta)).toEqual([
      {
        partitionKey: 'key-0',
        sequenceNumber: puts[0].SequenceNumber,
        arrivalTime: expect.any(Number),
        shard: SHARD0,
      },
      {
        partitionKey: 'user-u0',
        sequenceNumber: puts[1].SequenceNumber,
        subSequenceNumber: 0,
        arrivalTime: expect.any(Number),
        shard: SHARD0,
      },
      {
        partitionKey: 'user-u1',
        sequenceNumber: puts[1].SequenceNumber,
        subSequenceNumber: 1,
        arrivalTime: expect.any(Number),
        shard: SHARD0,
      },
    ]);
    for (const { meta } of batch.records) {
      expect(meta.arrivalTime).toBeGreaterThan(before);
      expect(meta.arrivalTime).toBeLessThanOrEqual(Date.now() + 1000);
    }
    // A replay hands the decoder the same metadata.
    expect(await src.replay(batch.ranges, interval(0))).toEqual(batch.records);
  });
});
