import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type GetShardIteratorCommandInput,
  ListShardsCommand,
  ProvisionedThroughputExceededException,
} from '@aws-sdk/client-kinesis';
import { SystemClock } from '../../src/engine/io/clock';
import { SourceError } from '../../src/engine/io/errors';
import { KinesisSource, type KinesisSourceOptions } from '../../src/engine/io/kinesis-source';
import type { SourceBatch } from '../../src/engine/io/ports';
import { ConfigError } from '../../src/engine/util/errors';
import { interval, readBatches, text } from '../support/kinesis-harness';

const shardId = (n: number) => `shardId-${String(n).padStart(12, '0')}`;

interface FakeShard {
  records: string[];
  parents?: number[];
  /** Closed by a reshard: GetRecords ends it once its last record was read. */
  closed?: boolean;
}

interface FakeOptions {
  /** Milliseconds GetRecords of a shard takes (real timers), to make reads finish out of shard order. */
  delay?: (shard: number) => number;
  /** Makes a GetRecords call of a shard fail (or throttle) instead of answering. */
  fail?: (shard: number, call: number) => Error | undefined;
}

/**
 * Kinesis in memory: ListShards (in reverse order, so the source has to sort), GetShardIterator and
 * GetRecords. Logs when each GetRecords starts and ends, and counts the calls in flight.
 */
function fakeKinesis(shards: FakeShard[], options: FakeOptions = {}) {
  const sequence = (n: number, i: number) => String((n + 1) * 1_000_000 + i);
  const indexOf = (n: number, seq: string) => shards[n].records.findIndex((_, i) => sequence(n, i) === seq);
  const calls = new Map<number, number>();
  const fake = {
    client: { send: (command: unknown) => send(command) } as KinesisSourceOptions<unknown>['client'],
    log: [] as string[],
    inFlight: 0,
    maxInFlight: 0,
  };

  const iterator = (input: GetShardIteratorCommandInput) => {
    const n = Number(input.ShardId!.slice('shardId-'.length));
    const index = {
      TRIM_HORIZON: () => 0,
      LATEST: () => shards[n].records.length,
      AT_SEQUENCE_NUMBER: () => indexOf(n, input.StartingSequenceNumber!),
      AFTER_SEQUENCE_NUMBER: () => indexOf(n, input.StartingSequenceNumber!) + 1,
    }[input.ShardIteratorType as string]!();
    return `${n}@${index}`;
  };

  const getRecords = async (shardIterator: string, limit: number) => {
    const [n, from] = shardIterator.split('@').map(Number);
    const call = (calls.get(n) ?? 0) + 1;
    calls.set(n, call);
    fake.log.push(`start ${n}`);
    fake.maxInFlight = Math.max(fake.maxInFlight, ++fake.inFlight);
    try {
      await new Promise((resolve) => setTimeout(resolve, options.delay?.(n) ?? 0));
      const failure = options.fail?.(n, call);
      if (failure) throw failure;
      const { records, closed } = shards[n];
      const to = Math.min(records.length, from + limit);
      return {
        Records: records.slice(from, to).map((data, i) => ({
          SequenceNumber: sequence(n, from + i),
          Data: text(data),
        })),
        NextShardIterator: closed && to === records.length ? undefined : `${n}@${to}`,
        MillisBehindLatest: 0,
        $metadata: {},
      };
    } finally {
      fake.inFlight--;
      fake.log.push(`end ${n}`);
    }
  };

  const send = async (command: unknown): Promise<unknown> => {
    if (command instanceof ListShardsCommand) {
      const listed = shards.map((shard, n) => ({
        ShardId: shardId(n),
        ParentShardId: shard.parents?.[0] === undefined ? undefined : shardId(shard.parents[0]),
        AdjacentParentShardId: shard.parents?.[1] === undefined ? undefined : shardId(shard.parents[1]),
        SequenceNumberRange: {
          StartingSequenceNumber: sequence(n, 0),
          EndingSequenceNumber: shard.closed ? sequence(n, shard.records.length) : undefined,
        },
      }));
      return { Shards: listed.reverse() };
    }
    if (command instanceof GetShardIteratorCommand) return { ShardIterator: iterator(command.input) };
    if (command instanceof GetRecordsCommand) {
      return getRecords(command.input.ShardIterator!, command.input.Limit ?? 10_000);
    }
    throw new Error(`unexpected command ${String(command)}`);
  };
  return fake;
}

function source<T = string>(
  fake: ReturnType<typeof fakeKinesis>,
  options: Partial<KinesisSourceOptions<T>> = {},
): KinesisSource<T> {
  return new KinesisSource<T>({ streamName: 'fake', client: fake.client, ...options });
}

/** A batch without its ranges' caughtUpAt: read times, which differ between two reads of the same records. */
function untimed<T>(batch: SourceBatch<T>): SourceBatch<T> {
  return { ...batch, ranges: batch.ranges.map(({ caughtUpAt: _, ...range }) => range) };
}

/** Milliseconds per shard that make later shards finish first, and neighbours out of order. */
const SCRAMBLED = [23, 4, 17, 1, 29, 9, 13, 2, 19, 6];
const scrambled = (n: number) => SCRAMBLED[n % SCRAMBLED.length];

const plainShards = (count: number, perShard = 2): FakeShard[] =>
  Array.from({ length: count }, (_, n) => ({
    records: Array.from({ length: perShard }, (_, i) => `s${n}r${i}`),
  }));

/** Index in the log of the first `start` and the last `end` of a shard's GetRecords calls. */
function span(log: string[], n: number): { start: number; end: number } {
  return { start: log.indexOf(`start ${n}`), end: log.lastIndexOf(`end ${n}`) };
}

describe('KinesisSource reading shards concurrently', () => {
  it('overlaps the GetRecords calls of different shards, never more than readConcurrency at once', async () => {
    const bounded = fakeKinesis(plainShards(8), { delay: scrambled });
    await source(bounded, { readConcurrency: 3 }).read(interval(0), undefined);
    expect(bounded.maxInFlight).toBeGreaterThan(1);
    expect(bounded.maxInFlight).toBeLessThanOrEqual(3);
    expect(bounded.maxInFlight).toBe(3);

    const byDefault = fakeKinesis(plainShards(20), { delay: scrambled });
    await source(byDefault).read(interval(0), undefined);
    expect(byDefault.maxInFlight).toBe(16);

    const oneByOne = fakeKinesis(plainShards(4), { delay: scrambled });
    await source(oneByOne, { readConcurrency: 1 }).read(interval(0), undefined);
    expect(oneByOne.maxInFlight).toBe(1);
  });

  it('lists records, ranges and dead letters in shard order whatever order the reads finish in', async () => {
    const shards: FakeShard[] = Array.from({ length: 6 }, (_, n) => ({
      records: [`{"s":${n},"i":0}`, `broken ${n}`, `{"s":${n},"i":1}`],
    }));
    const fake = fakeKinesis(shards, { delay: scrambled });
    const batch = await source<unknown>(fake, { decoder: 'json' }).read(interval(0), undefined);

    // The reads did finish out of shard order.
    const finished = fake.log.filter((e) => e.startsWith('end')).map((e) => Number(e.slice(4)));
    expect(finished).not.toEqual([...finished].sort((a, b) => a - b));

    expect(batch.records).toEqual(
      shards.flatMap((_, n) => [
        { s: n, i: 0 },
        { s: n, i: 1 },
      ]),
    );
    expect(batch.deadLetters?.map((d) => [d.shard, Buffer.from(d.data).toString()])).toEqual(
      shards.map((_, n) => [shardId(n), `broken ${n}`]),
    );
    expect(batch.ranges).toEqual(
      shards.map((_, n) => ({
        shard: shardId(n),
        first: String((n + 1) * 1_000_000),
        last: String((n + 1) * 1_000_000 + 2),
        count: 3,
        millisBehindLatest: 0,
        caughtUpAt: expect.any(Number),
      })),
    );
    const oneByOne = await source<unknown>(fakeKinesis(shards), { decoder: 'json', readConcurrency: 1 }).read(
      interval(0),
      undefined,
    );
    expect(untimed(batch)).toEqual(untimed(oneByOne));
  });

  it('reads a split parent to its end before its children, as one by one, while other shards read alongside', async () => {
    // Shard 0 splits into 2 and 3; shard 1 is unrelated and fast. The parent is slow and capped, so its
    // remainder takes two batches: the children must wait for the second.
    const shards: FakeShard[] = [
      { records: ['p1', 'p2', 'p3'], closed: true },
      { records: ['u1', 'u2'] },
      { records: ['l1', 'l2', 'l3'], parents: [0] },
      { records: ['r1', 'r2'], parents: [0] },
    ];
    const fake = fakeKinesis(shards, { delay: (n) => (n === 0 ? 30 : 2) });
    const batches = await readBatches(source(fake, { maxRecordsPerShard: 2 }), 4);

    expect(batches.map((b) => b.records)).toEqual([
      ['p1', 'p2', 'u1', 'u2'], // the parent still has records: children wait, and are not listed
      ['p3', 'l1', 'l2', 'r1', 'r2'],
      ['l3'],
      [],
    ]);
    expect(batches.map((b) => b.ranges.map((r) => `${r.shard.slice(-1)}:${r.count}`))).toEqual([
      ['0:2', '1:2'],
      ['0:1', '1:0', '2:2', '3:2'],
      ['1:0', '2:1', '3:0'],
      ['1:0', '2:0', '3:0'],
    ]);
    // The unrelated shard was read alongside the parent; the children only after the parent ended.
    expect(fake.log.indexOf('start 1')).toBeLessThan(fake.log.indexOf('end 0'));
    const parentEnded = fake.log.lastIndexOf('end 0');
    expect(fake.log.indexOf('start 2')).toBeGreaterThan(parentEnded);
    expect(fake.log.indexOf('start 3')).toBeGreaterThan(parentEnded);

    const oneByOne = await readBatches(
      source(fakeKinesis(shards), { maxRecordsPerShard: 2, readConcurrency: 1 }),
      4,
    );
    expect(batches.map(untimed)).toEqual(oneByOne.map(untimed));
  });

  it('reads both parents of a merge to their ends before the merged child, whichever parent is slower', async () => {
    const shards: FakeShard[] = [
      { records: ['a1', 'a2'], closed: true },
      { records: ['b1', 'b2'], closed: true },
      { records: ['m1', 'm2'], parents: [0, 1] },
    ];
    for (const slow of [0, 1]) {
      const fake = fakeKinesis(shards, { delay: (n) => (n === slow ? 25 : 1) });
      const batch = await source(fake).read(interval(0), undefined);
      expect(batch.records).toEqual(['a1', 'a2', 'b1', 'b2', 'm1', 'm2']);
      expect(batch.ranges.map((r) => r.shard)).toEqual([shardId(0), shardId(1), shardId(2)]);
      expect(span(fake.log, 2).start).toBeGreaterThan(Math.max(span(fake.log, 0).end, span(fake.log, 1).end));
      expect(fake.maxInFlight).toBe(2);

      // Once the child is committed its parents are known to be exhausted and are not read again.
      const next = await source(fake).read(interval(1), batch.ranges);
      expect(next.ranges.map((r) => r.shard)).toEqual([shardId(2)]);
    }
  });

  it('backs off a throttled shard on its own while the other shards are read', async () => {
    const throttled = () =>
      new ProvisionedThroughputExceededException({ message: 'Rate exceeded for shard', $metadata: {} });
    const fake = fakeKinesis(plainShards(3), {
      delay: scrambled,
      fail: (n, call) => (n === 1 && call <= 2 ? throttled() : undefined),
    });
    const system = new SystemClock();
    const sleep = jest.fn((time: number) => system.sleepUntil(time));
    const clock = { now: () => system.now(), sleepUntil: sleep };
    const batch = await source(fake, { clock, retry: { baseMs: 10, maxMs: 20, maxAttempts: 4 } }).read(
      interval(0),
      undefined,
    );

    expect(batch.records).toEqual(['s0r0', 's0r1', 's1r0', 's1r1', 's2r0', 's2r1']);
    expect(sleep).toHaveBeenCalledTimes(2);
    // Shard 2 was read while shard 1 waited out its backoff.
    expect(span(fake.log, 2).end).toBeLessThan(span(fake.log, 1).end);
  });

  it('fails the batch with the failing read only after the reads in flight ended, starting no more', async () => {
    const denied = Object.assign(new Error('not allowed'), { name: 'AccessDeniedException' });
    const fake = fakeKinesis(plainShards(6), {
      delay: (n) => (n === 0 ? 30 : 2),
      fail: (n) => (n === 1 ? denied : undefined),
    });
    const read = source(fake, { readConcurrency: 2 }).read(interval(0), undefined);

    await expect(read).rejects.toThrow(SourceError);
    await expect(read).rejects.toThrow(
      /GetRecords on Kinesis stream "fake" shard shardId-000000000001 failed/,
    );
    expect(fake.inFlight).toBe(0);
    expect(fake.log).toEqual(['start 0', 'start 1', 'end 1', 'end 0']);
  });

  it('replays ranges concurrently and returns their records in the order of the ranges', async () => {
    const shards = plainShards(6, 3);
    const batch = await source(fakeKinesis(shards)).read(interval(0), undefined);
    const reversed = [...batch.ranges].reverse();

    const fake = fakeKinesis(shards, { delay: scrambled });
    const replayed = await source(fake, { readConcurrency: 4 }).replay(reversed, interval(0));
    expect(replayed).toEqual([...shards].reverse().flatMap((s) => s.records));
    expect(fake.maxInFlight).toBe(4);
    expect(await source(fake).replay(batch.ranges, interval(0))).toEqual(batch.records);
  });

  it('rejects a readConcurrency that is not a whole number of at least 1, saying what to pass', () => {
    const fake = fakeKinesis([]);
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '4' as never]) {
      expect(() => source(fake, { readConcurrency: bad })).toThrow(ConfigError);
      expect(() => source(fake, { readConcurrency: bad })).toThrow(
        new RegExp(`readConcurrency must be a whole number .*at least 1 .*not ${String(bad)}$`),
      );
    }
    expect(() => source(fake, { readConcurrency: 1 })).not.toThrow();
    expect(() => source(fake, { readConcurrency: 64 })).not.toThrow();
  });
});
