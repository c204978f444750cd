import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand } from '@aws-sdk/client-kinesis';
import { ManualClock } from '../../src/engine/io/clock';
import { SourceError } from '../../src/engine/io/errors';
import { FaultyKinesis, type KinesisFaults } from '../../src/engine/io/kinesis/faulty-kinesis';
import { RateLimiter } from '../../src/engine/io/kinesis/rate-limiter';
import {
  type KinesisSender,
  KinesisSource,
  type KinesisSourceOptions,
} from '../../src/engine/io/kinesis-source';
import type { SourceBatch, SourceRange } from '../../src/engine/io/ports';
import { text, useLocalKinesis } from '../support/kinesis-harness';

const SHARD0 = 'shardId-000000000000';
const INTERVAL_MS = 1000;

const kinesis = useLocalKinesis('polling');

/** Counts calls by operation, and logs the clock time of each GetRecords per shard. */
function counting(inner: KinesisSender, clock: ManualClock) {
  const calls = { GetRecords: 0, GetShardIterator: 0, ListShards: 0 };
  const getRecordsAt: number[] = [];
  const sender: KinesisSender = {
    send: ((command: unknown) => {
      if (command instanceof GetRecordsCommand) {
        calls.GetRecords++;
        getRecordsAt.push(clock.now());
      } else if (command instanceof GetShardIteratorCommand) calls.GetShardIterator++;
      else if (command instanceof ListShardsCommand) calls.ListShards++;
      return inner.send(command as never);
    }) as KinesisSender['send'],
  };
  return { sender, calls, getRecordsAt };
}

/** A source on fake time (waits jump the clock), behind a FaultyKinesis, with call counts. */
function setup(stream: string, faults: KinesisFaults, options: Partial<KinesisSourceOptions<string>> = {}) {
  const clock = new ManualClock(1_000_000, { autoAdvance: true });
  const faulty = new FaultyKinesis(kinesis.client, faults);
  const counted = counting(faulty.client, clock);
  const source = new KinesisSource<string>({ streamName: stream, client: counted.sender, clock, ...options });
  /** Reads `count` batches one interval apart, each continuing after the previous one, like the coordinator. */
  const readBatches = async (count: number, after?: SourceRange[]) => {
    const batches: SourceBatch<string>[] = [];
    for (let i = 0; i < count; i++) {
      const batchTime = Math.ceil((clock.now() + 1) / INTERVAL_MS) * INTERVAL_MS;
      clock.setTime(batchTime);
      const batch = await source.read({ batchIndex: i, batchTime, intervalMs: INTERVAL_MS }, after);
      batches.push(batch);
      after = batch.ranges;
    }
    return batches;
  };
  return { clock, faulty, source, readBatches, ...counted };
}

describe('KinesisSource polling through empty pages', () => {
  it('reaches records behind 15 empty pages within a few batches instead of stalling', async () => {
    const stream = await kinesis.newStream();
    await kinesis.put(stream, ['r1', 'r2', 'r3']);
    const { readBatches, faulty, calls } = setup(stream, { emptyPagesBeforeRecords: 15 });

    const batches = await readBatches(6);

    const firstWithRecords = batches.findIndex((b) => b.records.length > 0);
    expect(firstWithRecords).toBeGreaterThanOrEqual(1);
    expect(firstWithRecords).toBeLessThanOrEqual(3);
    expect(batches.flatMap((b) => b.records)).toEqual(['r1', 'r2', 'r3']);
    expect(faulty.counts.emptyPages).toBe(15);
    // The iterator was kept across batches: opened once, never re-opened at the committed position.
    expect(calls.GetShardIterator).toBe(1);
  });

  it('never makes more than 5 GetRecords calls per second per shard', async () => {
    const stream = await kinesis.newStream();
    await kinesis.put(stream, ['r1']);
    // A generous budget: the source would like to poll far more often than Kinesis allows.
    const { readBatches, getRecordsAt } = setup(
      stream,
      { emptyPagesBeforeRecords: 40 },
      { readBudgetMs: 3000 },
    );

    const batches = await readBatches(5);

    expect(batches.flatMap((b) => b.records)).toEqual(['r1']);
    expect(getRecordsAt.length).toBeGreaterThan(20);
    for (const [i, start] of getRecordsAt.entries()) {
      const inWindow = getRecordsAt.slice(i).filter((t) => t < start + 1000);
      expect(inWindow.length).toBeLessThanOrEqual(5);
    }
  });

  it('continues from the kept iterator, and a retried batch starts where its first attempt started', async () => {
    const stream = await kinesis.newStream();
    await kinesis.put(stream, ['r1', 'r2']);
    const { readBatches, calls } = setup(stream, {});

    const [attempt] = await readBatches(1);
    await kinesis.put(stream, ['r3']);
    // The batch is retried (never committed): it sees its records again, and what arrived since.
    const [retried, next] = await readBatches(2);
    const [after] = await readBatches(1, next.ranges);

    expect(attempt.records).toEqual(['r1', 'r2']);
    expect(retried.records).toEqual(['r1', 'r2', 'r3']);
    expect(next.records).toEqual([]);
    expect(after.records).toEqual([]);
    expect(calls.GetShardIterator).toBe(1);
  });

  it("records each shard's MillisBehindLatest in its range", async () => {
    const stream = await kinesis.newStream();
    await kinesis.put(stream, ['r1']);
    const { readBatches } = setup(stream, { emptyPagesBeforeRecords: 8 });

    const batches = await readBatches(3);

    expect(batches[0].ranges[0]).toMatchObject({ shard: SHARD0, count: 0 });
    expect(batches[0].ranges[0].millisBehindLatest).toBeGreaterThan(0);
    expect(batches[2].ranges[0]).toMatchObject({ shard: SHARD0, millisBehindLatest: 0 });
  });

  it('retries a throttled call with backoff and gives up with a clear error', async () => {
    const stream = await kinesis.newStream();
    await kinesis.put(stream, ['r1', 'r2']);
    const flaky = setup(stream, { throttle: 0.5, seed: 7 }, { retry: { maxAttempts: 10 } });
    const [batch] = await flaky.readBatches(1);
    expect(batch.records).toEqual(['r1', 'r2']);
    expect(flaky.faulty.counts.throttles).toBeGreaterThan(0);

    const hopeless = setup(stream, { throttle: 1 }, { retry: { maxAttempts: 4, baseMs: 100, maxMs: 400 } });
    const started = hopeless.clock.now();
    const error = await hopeless.readBatches(1).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SourceError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `Kinesis stream "${stream}" shard ${SHARD0} is still throttled \\(ProvisionedThroughputExceededException\\) after 3 retries of GetShardIterator`,
      ),
    );
    expect(hopeless.faulty.counts.throttles).toBe(4);
    // It backed off on the clock: 3 waits of 50..100, 100..200 and 200..400 ms.
    expect(hopeless.clock.now() - started).toBeGreaterThanOrEqual(350);
  });
});

describe('KinesisSource kept iterators expiring', () => {
  /** One shard holding records '1'..'3'; iterators are 'pos:N' (next index N); 'stale' ones have expired. */
  function stub() {
    const records = ['1', '2', '3'];
    const calls: string[] = [];
    const send = jest.fn(async (command: unknown) => {
      if (command instanceof ListShardsCommand) {
        return { Shards: [{ ShardId: SHARD0, SequenceNumberRange: { StartingSequenceNumber: '1' } }] };
      }
      if (command instanceof GetShardIteratorCommand) {
        const { ShardIteratorType: type, StartingSequenceNumber: at } = command.input;
        calls.push(`iterator ${type}${at ? ` ${at}` : ''}`);
        const index = type === 'AT_SEQUENCE_NUMBER' ? records.indexOf(at!) : 0;
        return { ShardIterator: `pos:${index}` };
      }
      if (command instanceof GetRecordsCommand) {
        const iterator = command.input.ShardIterator!;
        calls.push(`records ${iterator}`);
        if (iterator === 'stale') {
          throw Object.assign(new Error('Iterator expired'), {
            name: 'ExpiredIteratorException',
            $metadata: { httpStatusCode: 400 },
          });
        }
        const from = Number(iterator.slice(4));
        const to = Math.min(records.length, from + (command.input.Limit ?? 10_000));
        return {
          Records: records.slice(from, to).map((r) => ({ SequenceNumber: r, Data: text(`r${r}`) })),
          // The first answer hands out an iterator that will have expired by the next batch.
          NextShardIterator: from === 0 ? 'stale' : `pos:${to}`,
          MillisBehindLatest: 0,
        };
      }
      throw new Error(`unexpected ${String(command)}`);
    });
    return { client: { send }, calls };
  }

  it('re-opens at the committed record when a kept iterator has expired, reading nothing twice', async () => {
    const { client, calls } = stub();
    const clock = new ManualClock(0, { autoAdvance: true });
    const src = new KinesisSource({ streamName: 's', client, clock, maxRecordsPerShard: 2 });
    const first = await src.read({ batchIndex: 0, batchTime: 1000, intervalMs: 1000 }, undefined);
    const second = await src.read({ batchIndex: 1, batchTime: 2000, intervalMs: 1000 }, first.ranges);

    expect(first.records).toEqual(['r1', 'r2']);
    expect(second.records).toEqual(['r3']);
    expect(calls).toEqual([
      'iterator TRIM_HORIZON',
      'records pos:0',
      'records stale',
      'iterator AT_SEQUENCE_NUMBER 2',
      'records pos:1',
    ]);
  });

  it('does not reuse an iterator kept for longer than Kinesis keeps it valid', async () => {
    const { client, calls } = stub();
    const clock = new ManualClock(0, { autoAdvance: true });
    const src = new KinesisSource({ streamName: 's', client, clock });
    const first = await src.read({ batchIndex: 0, batchTime: 1000, intervalMs: 1000 }, undefined);
    clock.advance(5 * 60_000);
    const later = await src.read({ batchIndex: 1, batchTime: clock.now(), intervalMs: 1000 }, first.ranges);

    expect(first.records).toEqual(['r1', 'r2', 'r3']);
    expect(later.records).toEqual([]);
    expect(calls.filter((c) => c.startsWith('iterator'))).toEqual([
      'iterator TRIM_HORIZON',
      'iterator AT_SEQUENCE_NUMBER 3',
    ]);
    expect(calls).not.toContain('records stale');
  });
});

describe('RateLimiter', () => {
  it('lets 5 calls per key start in any second and makes the 6th wait on the clock', async () => {
    const clock = new ManualClock(0);
    const limiter = new RateLimiter(clock);
    for (let i = 0; i < 5; i++) await limiter.acquire('a');
    await limiter.acquire('b');
    let sixth = false;
    const waiting = limiter.acquire('a').then(() => {
      sixth = true;
    });
    await Promise.resolve();
    expect(sixth).toBe(false);
    expect(limiter.nextSlot('a')).toBe(1000);
    clock.advance(999);
    await Promise.resolve();
    expect(sixth).toBe(false);
    clock.advance(1);
    await waiting;
    expect(sixth).toBe(true);
  });
});
