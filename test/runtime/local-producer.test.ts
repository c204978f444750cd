import { resolve } from 'node:path';
import { GetRecordsCommand, GetShardIteratorCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { deaggregateSync, type UserRecord } from 'aws-kinesis-agg';
import { sentence } from '../../examples/jobs/wordcount';
import { PUT_RECORDS_MAX_BYTES, putRecordsCalls } from '../../src/engine/io/kinesis-admin';
import { startLocalProducer } from '../../src/engine/runtime/local-producer';
import {
  aggregatedEntries,
  KPL_AGGREGATION_MAX_BYTES,
  type PutEntry,
} from '../../src/engine/runtime/local-producer-records';
import { waitFor } from '../engine/coordinator/helpers';
import { createStream, type LocalKinesis, listShards, startKinesalite } from '../support/kinesalite';

const SENTENCES = { module: resolve(__dirname, '../../examples/jobs/wordcount.ts'), name: 'sentence' };
const ENV = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' };

function unpack(entry: { Data?: Uint8Array; PartitionKey?: string }, sequence = '1'): UserRecord[] {
  let users: UserRecord[] = [];
  deaggregateSync(
    {
      data: Buffer.from(entry.Data!).toString('base64'),
      partitionKey: entry.PartitionKey ?? '',
      sequenceNumber: sequence,
      kinesisSchemaVersion: '1.0',
      approximateArrivalTimestamp: 0,
    },
    true,
    (error, records) => {
      if (error) throw error;
      users = records ?? [];
    },
  );
  return users;
}

function texts(users: UserRecord[]): string[] {
  return users.map((u) => Buffer.from(u.data, 'base64').toString('utf8'));
}

async function readAll(client: KinesisClient, stream: string): Promise<string[]> {
  const out: string[] = [];
  for (const shard of await listShards(client, stream)) {
    const { ShardIterator } = await client.send(
      new GetShardIteratorCommand({
        StreamName: stream,
        ShardId: shard.ShardId!,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    let iterator = ShardIterator;
    while (iterator) {
      const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      if (!page.Records?.length) break;
      for (const record of page.Records) out.push(...texts(unpack(record, record.SequenceNumber)));
      iterator = page.NextShardIterator;
    }
  }
  return out;
}

describe('packing user records like the KPL', () => {
  const records = Array.from({ length: 3000 }, (_, i) => ({
    partitionKey: `k${i % 64}`,
    data: Buffer.from(sentence(i)),
  }));

  it('keeps every user record, in order, with its partition key', async () => {
    const entries = await aggregatedEntries(records);
    const users = entries.flatMap((entry: PutEntry) => unpack(entry));
    expect(texts(users)).toEqual(records.map((r) => r.data.toString('utf8')));
    expect(users.map((u) => u.partitionKey)).toEqual(records.map((r) => r.partitionKey));
  });

  it('makes aggregates no larger than the KPL default, many records each', async () => {
    const entries = await aggregatedEntries(records);
    for (const entry of entries) expect(entry.Data.length).toBeLessThanOrEqual(KPL_AGGREGATION_MAX_BYTES);
    expect(entries.length).toBeLessThan(records.length / 100);
  });
});

describe('splitting a backlog into PutRecords calls', () => {
  const entry = (bytes: number): PutEntry => ({ Data: new Uint8Array(bytes), PartitionKey: 'k1' });

  it('puts at most 500 entries in a call', () => {
    const calls = putRecordsCalls(Array.from({ length: 1201 }, () => entry(10)));
    expect(calls.map((c) => c.length)).toEqual([500, 500, 201]);
  });

  it('keeps every call within 5 MiB, partition keys included, and every entry in order', () => {
    const entries = Array.from({ length: 300 }, (_, i) => entry(40_000 + i));
    const calls = putRecordsCalls(entries);
    for (const call of calls) {
      const bytes = call.reduce((sum, e) => sum + e.Data.length + e.PartitionKey.length, 0);
      expect(bytes).toBeLessThanOrEqual(PUT_RECORDS_MAX_BYTES);
    }
    expect(calls.length).toBeGreaterThan(1);
    expect(calls.flat()).toEqual(entries);
  });
});

describe('the local producer thread', () => {
  let kinesis: LocalKinesis;

  beforeAll(async () => {
    kinesis = await startKinesalite();
  });

  afterAll(async () => {
    await kinesis.stop();
  });

  it.each([
    ['KPL aggregates', true],
    ['one Kinesis record per event', false],
  ])(
    'puts the generator records as %s, each exactly once, and reports how many',
    async (_, aggregate) => {
      const stream = `producer-${aggregate ? 'agg' : 'plain'}`;
      await createStream(kinesis.client, stream, 2);
      const producer = startLocalProducer({
        endpoint: kinesis.endpoint,
        streamName: stream,
        ratePerSecond: 2000,
        generator: SENTENCES,
        aggregate,
        env: ENV,
      });
      await waitFor(() => producer.sent >= 500, 'the producer to put 500 records', 30_000);
      await producer.stop();

      const read = await readAll(kinesis.client, stream);
      expect(read.length).toBe(producer.sent);
      const expected = Array.from({ length: producer.sent }, (_, i) => sentence(i));
      expect([...read].sort()).toEqual(expected.sort());
    },
    60_000,
  );

  it('fails its stop with the reason when the generator cannot be loaded', async () => {
    const lines: string[] = [];
    const producer = startLocalProducer({
      endpoint: kinesis.endpoint,
      streamName: 'never-created',
      ratePerSecond: 100,
      generator: { module: SENTENCES.module, name: 'noSuchExport' },
      env: ENV,
      log: (line) => lines.push(line),
    });
    await expect(producer.stop()).rejects.toThrow(/noSuchExport is not a function/);
    expect(producer.sent).toBe(0);
    expect(lines).toEqual([expect.stringMatching(/noSuchExport/)]);
  }, 30_000);
});
