import { type KinesisClient, PutRecordsCommand, type PutRecordsResultEntry } from '@aws-sdk/client-kinesis';
import { ManualClock } from '../../src/engine/io/clock';
import type { RecordMeta } from '../../src/engine/io/decoders';
import { KinesisSource } from '../../src/engine/io/kinesis-source';
import type { SourceInterval } from '../../src/engine/io/ports';
import { ConfigError } from '../../src/engine/util/errors';
import { createStream, type LocalKinesis, startKinesalite } from '../support/kinesalite';
import { kplAggregate } from '../support/kpl';

const SHARD0 = 'shardId-000000000000';

let kinesis: LocalKinesis;
let client: KinesisClient;
let streams = 0;

beforeAll(async () => {
  kinesis = await startKinesalite();
  client = kinesis.client;
});

afterAll(async () => {
  await kinesis?.stop();
});

const interval = (batchIndex: number): SourceInterval => ({
  batchIndex,
  batchTime: (batchIndex + 1) * 1000,
  intervalMs: 1000,
});

async function newStream(): Promise<string> {
  const stream = `start-${++streams}`;
  await createStream(client, stream, 1);
  return stream;
}

async function put(stream: string, data: (string | Uint8Array)[]): Promise<PutRecordsResultEntry[]> {
  const out = await client.send(
    new PutRecordsCommand({
      StreamName: stream,
      Records: data.map((d, i) => ({
        Data: typeof d === 'string' ? new TextEncoder().encode(d) : d,
        PartitionKey: `key-${i}`,
      })),
    }),
  );
  return out.Records ?? [];
}

describe('KinesisSource starting at a timestamp', () => {
  it('starts at a timestamp', async () => {
    for (const asNumber of [false, true]) {
      const stream = await newStream();
      await put(stream, ['old1', 'old2']);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const from = new Date();
      await put(stream, ['new1', 'new2']);

      const timestamp = asNumber ? from.getTime() : from;
      const src = new KinesisSource({ streamName: stream, client, startingPosition: { timestamp } });
      const first = await src.read(interval(0), undefined);
      expect(first.records).toEqual(['new1', 'new2']);
      await put(stream, ['later']);
      const second = await src.read(interval(1), first.ranges);
      expect(second.records).toEqual(['later']);
    }
  });

  it('refuses timestamps it cannot honour, saying why', () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const make = (timestamp: unknown) =>
      new KinesisSource({ streamName: 's', client, clock, startingPosition: { timestamp } as never });
    expect(() => make(new Date('nope'))).toThrow(/not a valid time/);
    expect(() => make(1_700_000_000)).toThrow(/looks like seconds, not milliseconds: pass 1700000000000/);
    expect(() => make(Date.UTC(2027, 0, 1))).toThrow(/in the future.*use 'LATEST'/);
    expect(() => make('2025-01-01')).toThrow(ConfigError);
    expect(() => make(-5)).toThrow(/before 1970/);
    expect(() => make(Date.UTC(2025, 0, 1))).not.toThrow();
    expect(
      () => new KinesisSource({ streamName: 's', client, startingPosition: 'AT_TIMESTAMP' as never }),
    ).toThrow(/startingPosition must be 'TRIM_HORIZON', 'LATEST' or \{ timestamp/);
  });
});

describe('KinesisSource decoders', () => {
  it('passes partition key, sequence number and arrival time to the decoder', async () => {
    const stream = await newStream();
    const before = Date.now() - 1000;
    const users = ['u0', 'u1'].map((d) => ({ partitionKey: `user-${d}`, data: Buffer.from(d) }));
    const [blob] = await kplAggregate(users);
    const puts = await put(stream, ['plain', blob]);
    const seen: { text: string; meta: RecordMeta }[] = [];
    const src = new KinesisSource({
      streamName: stream,
      client,
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
