import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
  type PutRecordsResultEntry,
} from '@aws-sdk/client-kinesis';
import { SourceError } from '../../src/engine/io/errors';
import { FaultyKinesis } from '../../src/engine/io/kinesis/faulty-kinesis';
import { KinesisSource, type KinesisSourceOptions } from '../../src/engine/io/kinesis-source';
import type { SourceInterval } from '../../src/engine/io/ports';
import { ConfigError } from '../../src/engine/util/errors';
import { createStream, type LocalKinesis, startKinesalite } from '../support/kinesalite';

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

async function streamWith(data: string[]): Promise<{ stream: string; seq: string[] }> {
  const stream = `trim-${++streams}`;
  await createStream(client, stream, 1);
  const out = await client.send(
    new PutRecordsCommand({
      StreamName: stream,
      Records: data.map((d) => ({ Data: new TextEncoder().encode(d), PartitionKey: 'k' })),
    }),
  );
  return { stream, seq: (out.Records ?? []).map((r: PutRecordsResultEntry) => r.SequenceNumber!) };
}

/**
 * r1 r2 committed, then r3 expires (the trim horizon moves to r4) before a restarted coordinator (a new
 * source, no kept iterators) continues after r2.
 */
async function trimmedAfterCommit(options: Partial<KinesisSourceOptions<string>> = {}) {
  const { stream, seq } = await streamWith(['r1', 'r2', 'r3', 'r4', 'r5']);
  const faulty = new FaultyKinesis(client);
  const first = new KinesisSource({ streamName: stream, client: faulty.client, maxRecordsPerShard: 2 });
  const committed = await first.read(interval(0), undefined);
  expect(committed.records).toEqual(['r1', 'r2']);
  faulty.trim(SHARD0, seq[3]);
  const restarted = new KinesisSource({ streamName: stream, client: faulty.client, ...options });
  return { stream, seq, committed, restarted };
}

describe('KinesisSource at a trimmed position', () => {
  it('fails with the shard and sequence number when the committed position is older than the trim horizon', async () => {
    const { stream, seq, committed, restarted } = await trimmedAfterCommit();

    const error = await restarted.read(interval(1), committed.ranges).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(SourceError);
    const message = (error as Error).message;
    expect(message).toContain(`Kinesis stream "${stream}" shard ${SHARD0}`);
    expect(message).toContain(
      `committed position (sequence number ${seq[1]}) is older than the shard's trim horizon`,
    );
    expect(message).toContain(`oldest record left: ${seq[3]}`);
    expect(message).toContain("onTrimmedPosition: 'skip'");
    expect((error as SourceError).context).toMatchObject({
      stream,
      shard: SHARD0,
      committed: seq[1],
      trimHorizon: seq[3],
    });
  });

  it('skips a trimmed gap only when asked and records it in the range', async () => {
    const { seq, committed, restarted } = await trimmedAfterCommit({ onTrimmedPosition: 'skip' });

    const batch = await restarted.read(interval(1), committed.ranges);

    expect(batch.records).toEqual(['r4', 'r5']);
    expect(batch.ranges).toEqual([
      {
        shard: SHARD0,
        first: seq[3],
        last: seq[4],
        count: 2,
        millisBehindLatest: 0,
        gap: { from: seq[1], to: seq[3], reason: expect.stringMatching(/expired .*retention/) },
      },
    ]);
    // The range after the gap replays exactly, and the next batch goes on without a gap.
    expect(await restarted.replay(batch.ranges, interval(1))).toEqual(['r4', 'r5']);
    const next = await restarted.read(interval(2), batch.ranges);
    expect(next.records).toEqual([]);
    expect(next.ranges[0].gap).toBeUndefined();
  });

  it('reads on without a gap when the committed record is still there', async () => {
    const { stream, seq } = await streamWith(['r1', 'r2', 'r3']);
    const faulty = new FaultyKinesis(client);
    const first = new KinesisSource({ streamName: stream, client: faulty.client, maxRecordsPerShard: 2 });
    const committed = await first.read(interval(0), undefined);
    faulty.trim(SHARD0, seq[1]); // r1 expired, but r2 (the committed record) is still there
    const restarted = new KinesisSource({ streamName: stream, client: faulty.client });

    const batch = await restarted.read(interval(1), committed.ranges);
    expect(batch.records).toEqual(['r3']);
    expect(batch.ranges[0].gap).toBeUndefined();
  });

  /** One shard; GetShardIterator and GetRecords answered by the given functions. */
  function stub(startingSequence: string, getShardIterator: (type: string) => unknown, records: string[]) {
    return {
      send: jest.fn(async (command: unknown) => {
        if (command instanceof ListShardsCommand) {
          return {
            Shards: [{ ShardId: SHARD0, SequenceNumberRange: { StartingSequenceNumber: startingSequence } }],
          };
        }
        if (command instanceof GetShardIteratorCommand)
          return getShardIterator(command.input.ShardIteratorType!);
        if (command instanceof GetRecordsCommand) {
          return {
            Records: records.map((s) => ({ SequenceNumber: s, Data: new TextEncoder().encode(`at ${s}`) })),
            NextShardIterator: 'next',
            MillisBehindLatest: 0,
          };
        }
        throw new Error(`unexpected ${String(command)}`);
      }),
    };
  }
  const after = [{ shard: SHARD0, first: '40', last: '50', count: 3 }];

  it("fails before reading when the shard's listing already starts after the committed position", async () => {
    const client = stub('100', () => ({ ShardIterator: 'it' }), ['100']);
    const read = new KinesisSource({ streamName: 's', client }).read(interval(1), after);
    await expect(read).rejects.toThrow(/sequence number 50\) is older .*oldest record left: 100/);
    expect(client.send.mock.calls.some(([c]) => c instanceof GetRecordsCommand)).toBe(false);
  });

  it('tells a refused, expired sequence number from one that is not of this shard', async () => {
    const refused = Object.assign(new Error('StartingSequenceNumber 50 is no longer available'), {
      name: 'InvalidArgumentException',
      $metadata: { httpStatusCode: 400 },
    });
    const refuseAt = (type: string) => {
      if (type === 'AT_SEQUENCE_NUMBER') throw refused;
      return { ShardIterator: 'horizon' };
    };
    const expired = new KinesisSource({ streamName: 's', client: stub('1', refuseAt, ['70', '80']) });
    await expect(expired.read(interval(1), after)).rejects.toThrow(/oldest record left: 70/);

    const skipping = new KinesisSource({
      streamName: 's',
      client: stub('1', refuseAt, ['70', '80']),
      onTrimmedPosition: 'skip',
    });
    const batch = await skipping.read(interval(1), after);
    expect(batch.records).toEqual(['at 70', 'at 80']);
    expect(batch.ranges[0].gap).toMatchObject({ from: '50', to: '70' });

    const foreign = new KinesisSource({ streamName: 's', client: stub('1', refuseAt, ['10', '80']) });
    await expect(foreign.read(interval(1), after)).rejects.toThrow(/no longer available/);
  });

  it("rejects an onTrimmedPosition other than 'fail' or 'skip'", () => {
    expect(
      () => new KinesisSource({ streamName: 's', client, onTrimmedPosition: 'ignore' as never }),
    ).toThrow(ConfigError);
  });
});
