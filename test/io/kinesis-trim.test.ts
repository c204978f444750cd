import {
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  IncreaseStreamRetentionPeriodCommand,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis';
import { ManualClock } from '../../src/engine/io/clock';
import { SourceError } from '../../src/engine/io/errors';
import { FaultyKinesis } from '../../src/engine/io/kinesis/faulty-kinesis';
import {
  type KinesisSender,
  KinesisSource,
  type KinesisSourceOptions,
} from '../../src/engine/io/kinesis-source';
import type { SourceBatch, SourceRange } from '../../src/engine/io/ports';
import { ConfigError } from '../../src/engine/util/errors';
import { interval, text, useLocalKinesis } from '../support/kinesis-harness';

const SHARD0 = 'shardId-000000000000';

const kinesis = useLocalKinesis('trim');

async function streamWith(data: string[]): Promise<{ stream: string; seq: string[] }> {
  const stream = await kinesis.newStream();
  const out = await kinesis.put(
    stream,
    data.map((d) => ({ data: d, partitionKey: 'k' })),
  );
  return { stream, seq: out.map((r) => r.SequenceNumber!) };
}

/**
 * r1 r2 committed, then r3 expires (the trim horizon moves to r4) before a restarted coordinator (a new
 * source, no kept iterators) continues after r2.
 */
async function trimmedAfterCommit(options: Partial<KinesisSourceOptions<string>> = {}) {
  const { stream, seq } = await streamWith(['r1', 'r2', 'r3', 'r4', 'r5']);
  const faulty = new FaultyKinesis(kinesis.client);
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
        caughtUpAt: expect.any(Number),
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
    const faulty = new FaultyKinesis(kinesis.client);
    const first = new KinesisSource({ streamName: stream, client: faulty.client, maxRecordsPerShard: 2 });
    const committed = await first.read(interval(0), undefined);
    faulty.trim(SHARD0, seq[1]); // r1 expired, but r2 (the committed record) is still there
    const restarted = new KinesisSource({ streamName: stream, client: faulty.client });

    const batch = await restarted.read(interval(1), committed.ranges);
    expect(batch.records).toEqual(['r3']);
    expect(batch.ranges[0].gap).toBeUndefined();
  });

  /** One shard; GetShardIterator and GetRecords answered by the given functions. */
  function stub(
    startingSequence: string,
    getShardIterator: (type: string) => unknown,
    records: string[],
    arrival?: number,
  ) {
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
            Records: records.map((s) => ({
              SequenceNumber: s,
              Data: text(`at ${s}`),
              ...(arrival === undefined ? {} : { ApproximateArrivalTimestamp: new Date(arrival) }),
            })),
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

  it('applies caught-up evidence to a refused sequence number and to a listing that starts later', async () => {
    const refused = Object.assign(new Error('StartingSequenceNumber 50 is no longer available'), {
      name: 'InvalidArgumentException',
      $metadata: { httpStatusCode: 400 },
    });
    const refuseAt = (type: string) => {
      if (type === 'AT_SEQUENCE_NUMBER') throw refused;
      return { ShardIterator: 'horizon' };
    };
    // Caught up after 50 a minute ago: whatever came after it arrived since, and cannot have expired.
    const caughtUp = [{ ...after[0], caughtUpAt: Date.now() - 60_000 }];

    const refusedBatch = await new KinesisSource({
      streamName: 's',
      client: stub('1', refuseAt, ['70', '80']),
    }).read(interval(1), caughtUp);
    expect(refusedBatch.records).toEqual(['at 70', 'at 80']);
    expect(refusedBatch.ranges[0].gap).toBeUndefined();

    const listed = await new KinesisSource({
      streamName: 's',
      client: stub('100', () => ({ ShardIterator: 'it' }), ['100']),
    }).read(interval(1), caughtUp);
    expect(listed.records).toEqual(['at 100']);
    expect(listed.ranges[0].gap).toBeUndefined();
  });

  it('does not trust caught-up evidence that the oldest record left contradicts', async () => {
    const caughtUpAt = Date.now() - 60_000;
    // The oldest record left arrived an hour before the read that found nothing after 50.
    const client = stub('1', refuseAtSequence, ['70'], caughtUpAt - 3_600_000);
    const read = new KinesisSource({ streamName: 's', client }).read(interval(1), [
      { ...after[0], caughtUpAt },
    ]);
    await expect(read).rejects.toThrow(
      /oldest record left: 70; .*arrived at .*before the last read at the tip/,
    );
  });

  function refuseAtSequence(type: string) {
    if (type === 'AT_SEQUENCE_NUMBER') {
      throw Object.assign(new Error('no longer available'), {
        name: 'InvalidArgumentException',
        $metadata: { httpStatusCode: 400 },
      });
    }
    return { ShardIterator: 'horizon' };
  }

  it("rejects an onTrimmedPosition other than 'fail' or 'skip'", () => {
    expect(
      () =>
        new KinesisSource({ streamName: 's', client: kinesis.client, onTrimmedPosition: 'ignore' as never }),
    ).toThrow(ConfigError);
  });
});

const HOUR = 3_600_000;

/**
 * A one-shard stream on a manual clock: a record written now arrives (ApproximateArrivalTimestamp) at the
 * clock's time, and each batch is read by a new source, as after a coordinator hand-over (no kept
 * iterators), continuing after the last batch.
 */
async function timeline(options: Partial<KinesisSourceOptions<string>> = {}) {
  const stream = await kinesis.newStream();
  const clock = new ManualClock(Date.UTC(2030, 0, 1), { autoAdvance: true });
  const faulty = new FaultyKinesis(kinesis.client);
  const arrivals = new Map<string, number>();
  const calls: string[] = [];
  const sender: KinesisSender = {
    send: (async (command: { constructor: { name: string } }) => {
      calls.push(command.constructor.name);
      const out = await faulty.client.send(command as never);
      if (command instanceof GetRecordsCommand) {
        for (const record of (out as GetRecordsCommandOutput).Records ?? []) {
          record.ApproximateArrivalTimestamp = new Date(arrivals.get(record.SequenceNumber!)!);
        }
      }
      return out;
    }) as KinesisSender['send'],
  };
  const write = async (data: string): Promise<string> => {
    const [out] = await kinesis.put(stream, [{ data, partitionKey: 'k' }]);
    const sequence = out.SequenceNumber!;
    arrivals.set(sequence, clock.now());
    return sequence;
  };
  let committed: SourceRange[] | undefined;
  let index = 0;
  const batch = async (): Promise<SourceBatch<string>> => {
    const source = new KinesisSource({ streamName: stream, client: sender, clock, ...options });
    const out = await source.read(interval(index++), committed);
    committed = out.ranges;
    return out;
  };
  return { stream, clock, faulty, write, batch, calls };
}

describe('KinesisSource telling a quiet shard from a trimmed gap', () => {
  it('continues without error after a shard was quiet for longer than the retention period', async () => {
    const t = await timeline();
    const r1 = await t.write('r1');
    expect((await t.batch()).records).toEqual(['r1']);

    // 30 hours without a record, a batch an hour, each by a new coordinator; r1 expires after 24 hours
    // and the shard is empty.
    for (let hour = 1; hour <= 30; hour++) {
      t.clock.advance(HOUR);
      if (hour === 25) t.faulty.expireThrough(SHARD0, r1);
      const quiet = await t.batch();
      expect(quiet.records).toEqual([]);
      expect(quiet.ranges).toEqual([
        {
          shard: SHARD0,
          first: '',
          last: r1,
          count: 0,
          millisBehindLatest: 0,
          caughtUpAt: expect.any(Number),
        },
      ]);
      expect(quiet.ranges[0].caughtUpAt).toBeGreaterThanOrEqual(t.clock.now() - 60_000);
    }
    t.clock.advance(HOUR / 2);
    const r2 = await t.write('r2');
    t.clock.advance(HOUR / 2);

    // The next coordinator finds r1 gone and r2 first: it arrived after the last caught-up read.
    const next = await t.batch();
    expect(next.records).toEqual(['r2']);
    expect(next.ranges).toEqual([
      {
        shard: SHARD0,
        first: r2,
        last: r2,
        count: 1,
        millisBehindLatest: 0,
        caughtUpAt: expect.any(Number),
      },
    ]);
    // Kinesis' minimum retention (24 hours) covered it: no need to ask for the stream's.
    expect(t.calls).not.toContain('DescribeStreamSummaryCommand');
  });

  it('still fails on a real gap: records written after the last caught-up read were trimmed before being read', async () => {
    const t = await timeline();
    const r1 = await t.write('r1');
    const caughtUpAt = (await t.batch()).ranges[0].caughtUpAt;
    expect(caughtUpAt).toBeDefined();

    // The job stops. r2 is written an hour later, and both have expired when the job restarts a day on.
    t.clock.advance(HOUR);
    await t.write('r2');
    t.clock.advance(25 * HOUR);
    const r3 = await t.write('r3');
    t.faulty.trim(SHARD0, r3); // r1 and r2 expired

    const error = await t.batch().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SourceError);
    const message = (error as Error).message;
    expect(message).toContain(
      `committed position (sequence number ${r1}) is older than the shard's trim horizon`,
    );
    expect(message).toContain(`oldest record left: ${r3}`);
    expect(message).toMatch(
      /last read at the tip of the shard \(.*\) is older than the stream's retention period \(24 h\)/,
    );
    // More than a day since it was caught up: the stream's own retention period was asked for.
    expect(t.calls).toContain('DescribeStreamSummaryCommand');

    // Skipping records the gap.
    const skipping = await timeline({ onTrimmedPosition: 'skip' });
    const s1 = await skipping.write('s1');
    await skipping.batch();
    skipping.clock.advance(HOUR);
    await skipping.write('s2');
    skipping.clock.advance(25 * HOUR);
    const s3 = await skipping.write('s3');
    skipping.faulty.trim(SHARD0, s3);
    const batch = await skipping.batch();
    expect(batch.records).toEqual(['s3']);
    expect(batch.ranges[0].gap).toMatchObject({ from: s1, to: s3 });
  });

  it('does not take an empty shard for caught up while its committed record is missing and unaccounted for', async () => {
    const t = await timeline();
    const r1 = await t.write('r1');
    const caughtUpAt = (await t.batch()).ranges[0].caughtUpAt;
    t.clock.advance(HOUR);
    const r2 = await t.write('r2');
    t.clock.advance(25 * HOUR);
    t.faulty.expireThrough(SHARD0, r2);

    // Nothing left to read: no error yet, but no new caught-up time either (r2 was lost).
    const empty = await t.batch();
    expect(empty.records).toEqual([]);
    expect(empty.ranges[0]).toMatchObject({ last: r1, caughtUpAt });
    t.clock.advance(HOUR);
    const r3 = await t.write('r3');
    await expect(t.batch()).rejects.toThrow(
      new RegExp(`sequence number ${r1}\\).*oldest record left: ${r3}`),
    );
  });

  it('trusts a retention period longer than a day that the stream reports', async () => {
    const t = await timeline();
    await kinesis.client.send(
      new IncreaseStreamRetentionPeriodCommand({ StreamName: t.stream, RetentionPeriodHours: 48 }),
    );
    const r1 = await t.write('r1');
    await t.batch();
    // Quiet and caught up until hour 20; the job stops, and restarts at hour 50, when r1 has expired.
    t.clock.advance(20 * HOUR);
    await t.batch();
    t.clock.advance(30 * HOUR);
    t.faulty.expireThrough(SHARD0, r1);
    const r2 = await t.write('r2');

    const batch = await t.batch();
    expect(batch.records).toEqual(['r2']);
    expect(batch.ranges[0]).toMatchObject({ first: r2, last: r2 });
    expect(batch.ranges[0].gap).toBeUndefined();
    expect(t.calls.filter((c) => c === 'DescribeStreamSummaryCommand')).toHaveLength(1);
  });

  it('carries the last caught-up time forward while a shard is behind', async () => {
    const t = await timeline({ maxRecordsPerShard: 2 });
    const started = t.clock.now();
    await t.write('r1');
    const first = await t.batch();
    const caughtUpAt = first.ranges[0].caughtUpAt!;
    expect(caughtUpAt).toBeGreaterThanOrEqual(started);
    expect(caughtUpAt).toBeLessThanOrEqual(t.clock.now());

    for (const data of ['r2', 'r3', 'r4', 'r5']) await t.write(data);
    t.clock.advance(HOUR);
    // Two batches of two records: neither reaches the tip (each answer was full).
    const behind = [await t.batch(), await t.batch()];
    expect(behind.map((b) => b.records)).toEqual([
      ['r2', 'r3'],
      ['r4', 'r5'],
    ]);
    expect(behind.map((b) => b.ranges[0].caughtUpAt)).toEqual([caughtUpAt, caughtUpAt]);

    const atTip = await t.batch();
    expect(atTip.records).toEqual([]);
    expect(atTip.ranges[0].caughtUpAt).toBeGreaterThanOrEqual(caughtUpAt + HOUR);
  });
});
