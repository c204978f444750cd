import {
  DeleteStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  MergeShardsCommand,
  ProvisionedThroughputExceededException,
  type PutRecordsResultEntry,
  SplitShardCommand,
} from '@aws-sdk/client-kinesis';
import { ManualClock } from '../../src/engine/io/clock';
import { bytes, decoderFor, json, utf8 } from '../../src/engine/io/decoders';
import { SourceError } from '../../src/engine/io/errors';
import { KinesisSource, type KinesisSourceOptions } from '../../src/engine/io/kinesis-source';
import { ConfigError } from '../../src/engine/util/errors';
import { listShards, waitUntilActive } from '../support/kinesalite';
import { interval, readBatches, text, useLocalKinesis } from '../support/kinesis-harness';
import { kplAggregate } from '../support/kpl';

const SHARD0 = 'shardId-000000000000';
const SHARD1 = 'shardId-000000000001';
const SHARD2 = 'shardId-000000000002';
/** Explicit hash keys: the lower and upper half of the key space (where 2 shards, or a split, divide it). */
const LOW = '1';
const HIGH = (2n ** 127n + 1n).toString();
const MIDDLE = (2n ** 127n).toString();

const kinesis = useLocalKinesis('sluice-test');

type Put = string | Uint8Array | { data: string | Uint8Array; hashKey: string };

/** Puts the items; those without a hash key go to the lower half of the key space. */
function put(streamName: string, items: readonly Put[]): Promise<PutRecordsResultEntry[]> {
  return kinesis.put(
    streamName,
    items.map((item) => (typeof item === 'object' && 'data' in item ? item : { data: item, hashKey: LOW })),
  );
}

function source<T = string>(
  streamName: string,
  options: Partial<KinesisSourceOptions<T>> = {},
): KinesisSource<T> {
  return new KinesisSource<T>({ streamName, client: kinesis.client, ...options });
}

async function split(streamName: string, shard: string, newStartingHashKey: string): Promise<void> {
  await kinesis.client.send(
    new SplitShardCommand({
      StreamName: streamName,
      ShardToSplit: shard,
      NewStartingHashKey: newStartingHashKey,
    }),
  );
  await waitUntilActive(kinesis.client, streamName);
}

async function merge(streamName: string, shard: string, adjacent: string): Promise<void> {
  await kinesis.client.send(
    new MergeShardsCommand({ StreamName: streamName, ShardToMerge: shard, AdjacentShardToMerge: adjacent }),
  );
  await waitUntilActive(kinesis.client, streamName);
}

describe('decoders', () => {
  it('utf8 decodes text and refuses invalid UTF-8 instead of replacing it', () => {
    expect(utf8(text('héllo'))).toBe('héllo');
    // TextDecoder's TypeError comes from another realm under jest, so match the message.
    expect(() => utf8(new Uint8Array([0xc3, 0x28]))).toThrow(/not valid/);
  });

  it('json parses UTF-8 JSON and throws on anything else', () => {
    expect(json(text('{"a":[1,2]}'))).toEqual({ a: [1, 2] });
    expect(() => json(text('{nope'))).toThrow(SyntaxError);
  });

  it('bytes returns a copy that does not share the input buffer', () => {
    const input = new Uint8Array([1, 2, 3]);
    const copy = bytes(input);
    input[0] = 9;
    expect(copy).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('decoderFor resolves names, passes functions through, and names the choices for an unknown decoder', () => {
    expect(decoderFor('json')).toBe(json);
    const custom = (data: Uint8Array) => data.length;
    expect(decoderFor(custom)).toBe(custom);
    expect(() => decoderFor('xml' as never)).toThrow(ConfigError);
    expect(() => decoderFor('xml' as never)).toThrow(/unknown record decoder "xml".*'utf8', 'json', 'bytes'/);
  });
});

describe('KinesisSource', () => {
  it('reads every put record exactly once across consecutive reads that continue after the previous ranges', async () => {
    const stream = await kinesis.newStream(2);
    const src = source(stream);
    await put(stream, ['a1', { data: 'b1', hashKey: HIGH }, 'a2']);
    const first = await src.read(interval(0), undefined);
    await put(stream, [{ data: 'b2', hashKey: HIGH }, 'a3']);
    const second = await src.read(interval(1), first.ranges);
    const third = await src.read(interval(2), second.ranges);

    expect(first.records).toEqual(['a1', 'a2', 'b1']);
    expect(second.records).toEqual(['a3', 'b2']);
    expect(third.records).toEqual([]);
    expect(first.ranges.map((r) => [r.shard, r.count])).toEqual([
      [SHARD0, 2],
      [SHARD1, 1],
    ]);
    expect(second.ranges.map((r) => r.count)).toEqual([1, 1]);
  });

  it('orders records shard by shard (by shard id), then by sequence number', async () => {
    const stream = await kinesis.newStream(2);
    const puts = await put(stream, [
      { data: 'b1', hashKey: HIGH },
      'a1',
      { data: 'b2', hashKey: HIGH },
      'a2',
    ]);
    const batch = await source(stream).read(interval(0), undefined);

    expect(batch.records).toEqual(['a1', 'a2', 'b1', 'b2']);
    expect(batch.ranges).toEqual([
      {
        shard: SHARD0,
        first: puts[1].SequenceNumber,
        last: puts[3].SequenceNumber,
        count: 2,
        millisBehindLatest: 0,
        caughtUpAt: expect.any(Number),
      },
      {
        shard: SHARD1,
        first: puts[0].SequenceNumber,
        last: puts[2].SequenceNumber,
        count: 2,
        millisBehindLatest: 0,
        caughtUpAt: expect.any(Number),
      },
    ]);
  });

  it('continues after the last committed position, so an uncommitted read is read again', async () => {
    const stream = await kinesis.newStream();
    const src = source(stream);
    await put(stream, ['r1', 'r2']);
    const committed = await src.read(interval(0), undefined);
    await put(stream, ['r3']);
    await src.read(interval(1), committed.ranges); // never committed (say the coordinator crashed)
    await put(stream, ['r4']);

    const retried = await src.read(interval(1), committed.ranges);
    expect(retried.records).toEqual(['r3', 'r4']);
    expect((await src.read(interval(0), undefined)).records).toEqual(['r1', 'r2', 'r3', 'r4']);
  });

  it('reads at most maxRecordsPerShard records of each shard and leaves the rest for the next reads', async () => {
    const stream = await kinesis.newStream(2);
    await put(stream, [
      ...Array.from({ length: 5 }, (_, i) => `a${i}`),
      ...Array.from({ length: 3 }, (_, i) => ({ data: `b${i}`, hashKey: HIGH })),
    ]);
    const batches = await readBatches(source(stream, { maxRecordsPerShard: 2 }), 4);

    expect(batches.map((b) => b.records)).toEqual([['a0', 'a1', 'b0', 'b1'], ['a2', 'a3', 'b2'], ['a4'], []]);
    expect(batches.map((b) => b.ranges.map((r) => r.count))).toEqual([
      [2, 2],
      [2, 1],
      [1, 0],
      [0, 0],
    ]);
  });

  it('keeps every shard position through empty reads, and reports never-read shards with no position', async () => {
    const stream = await kinesis.newStream(2);
    const src = source(stream);
    const empty = await src.read(interval(0), undefined);
    expect(empty).toEqual({
      records: [],
      deadLetters: [],
      ranges: [
        {
          shard: SHARD0,
          first: '',
          last: '',
          count: 0,
          millisBehindLatest: 0,
          caughtUpAt: expect.any(Number),
        },
        {
          shard: SHARD1,
          first: '',
          last: '',
          count: 0,
          millisBehindLatest: 0,
          caughtUpAt: expect.any(Number),
        },
      ],
    });

    const puts = await put(stream, ['a1']);
    const one = await src.read(interval(1), empty.ranges);
    const [again, stillEmpty] = await readBatches(src, 2, one.ranges);
    expect(one.records).toEqual(['a1']);
    for (const batch of [again, stillEmpty]) {
      expect(batch.records).toEqual([]);
      expect(batch.ranges).toEqual([
        {
          shard: SHARD0,
          first: '',
          last: puts[0].SequenceNumber,
          count: 0,
          millisBehindLatest: 0,
          caughtUpAt: expect.any(Number),
        },
        {
          shard: SHARD1,
          first: '',
          last: '',
          count: 0,
          millisBehindLatest: 0,
          caughtUpAt: expect.any(Number),
        },
      ]);
    }
  });

  it('starting at LATEST skips older records but not those written between batches before the first record', async () => {
    const stream = await kinesis.newStream();
    await put(stream, ['before the job']);
    const src = source(stream, { startingPosition: 'LATEST' });
    const first = await src.read(interval(0), undefined);
    const second = await src.read(interval(1), first.ranges);
    await put(stream, ['n1']);
    const third = await src.read(interval(2), second.ranges);
    await put(stream, ['n2']);
    const fourth = await src.read(interval(3), third.ranges);

    expect([first, second, third, fourth].map((b) => b.records)).toEqual([[], [], ['n1'], ['n2']]);
    expect(first.ranges).toEqual([
      { shard: SHARD0, first: '', last: '', count: 0, millisBehindLatest: 0, caughtUpAt: expect.any(Number) },
    ]);
  });

  it('decodes records with the json, bytes or a custom decoder', async () => {
    const stream = await kinesis.newStream();
    await put(stream, ['{"n":1}', '[2]']);

    expect((await source<unknown>(stream, { decoder: 'json' }).read(interval(0), undefined)).records).toEqual(
      [{ n: 1 }, [2]],
    );
    const raw = await source<Uint8Array>(stream, { decoder: 'bytes' }).read(interval(0), undefined);
    expect(raw.records.map((r) => Buffer.from(r).toString())).toEqual(['{"n":1}', '[2]']);
    expect(raw.records[0]).toBeInstanceOf(Uint8Array);
    const lengths = source<number>(stream, { decoder: (data) => data.length });
    expect((await lengths.read(interval(0), undefined)).records).toEqual([7, 3]);
  });

  it('turns undecodable records into dead letters with shard and sequence number and returns the rest', async () => {
    const stream = await kinesis.newStream();
    const invalidUtf8 = new Uint8Array([0x7b, 0xc3, 0x28, 0x7d]);
    const puts = await put(stream, ['{"ok":1}', invalidUtf8, 'not json', '{"ok":2}']);
    const batch = await source<unknown>(stream, { decoder: 'json' }).read(interval(0), undefined);

    expect(batch.records).toEqual([{ ok: 1 }, { ok: 2 }]);
    expect(batch.deadLetters).toEqual([
      { shard: SHARD0, position: puts[1].SequenceNumber, data: invalidUtf8, error: expect.any(String) },
      {
        shard: SHARD0,
        position: puts[2].SequenceNumber,
        data: text('not json'),
        error: expect.stringMatching(/JSON/),
      },
    ]);
    // Dead letters are consumed too: the next batch does not see them again.
    expect(batch.ranges).toEqual([
      {
        shard: SHARD0,
        first: puts[0].SequenceNumber,
        last: puts[3].SequenceNumber,
        count: 4,
        millisBehindLatest: 0,
        caughtUpAt: expect.any(Number),
      },
    ]);
  });

  it('deaggregates KPL records into user records, dead-lettering a bad user record at sequence:subIndex', async () => {
    const stream = await kinesis.newStream();
    const users = ['{"n":1}', '{"n":2}', '{"n":3}', 'oops', '{"n":5}'].map((data, i) => ({
      partitionKey: `user-${i}`,
      data: Buffer.from(data),
    }));
    const [blob, ...more] = await kplAggregate(users);
    expect(more).toEqual([]);
    expect([...blob.subarray(0, 4)]).toEqual([0xf3, 0x89, 0x9a, 0xc2]);
    const puts = await put(stream, ['{"n":0}', blob, '{"n":6}']);

    const src = source<unknown>(stream, { decoder: 'json' });
    const batch = await src.read(interval(0), undefined);
    expect(batch.records).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }, { n: 3 }, { n: 5 }, { n: 6 }]);
    expect(batch.deadLetters).toEqual([
      {
        shard: SHARD0,
        position: `${puts[1].SequenceNumber}:3`,
        data: new Uint8Array(Buffer.from('oops')),
        error: expect.any(String),
      },
    ]);
    expect(batch.ranges).toEqual([
      {
        shard: SHARD0,
        first: puts[0].SequenceNumber,
        last: puts[2].SequenceNumber,
        count: 7,
        millisBehindLatest: 0,
        caughtUpAt: expect.any(Number),
      },
    ]);
    expect(await src.replay(batch.ranges, interval(0))).toEqual(batch.records);
  });

  it('treats a record with KPL magic bytes but a broken body as an ordinary record, dead-lettered if unreadable', async () => {
    const stream = await kinesis.newStream();
    const fake = Buffer.concat([Buffer.from([0xf3, 0x89, 0x9a, 0xc2]), Buffer.alloc(40, 7)]);
    const puts = await put(stream, [fake, 'fine']);

    const text = await source(stream).read(interval(0), undefined);
    expect(text.records).toEqual(['fine']);
    expect(text.deadLetters).toEqual([
      {
        shard: SHARD0,
        position: puts[0].SequenceNumber,
        data: new Uint8Array(fake),
        error: expect.stringMatching(/not a valid KPL aggregated record/),
      },
    ]);
    const raw = await source<Uint8Array>(stream, { decoder: 'bytes' }).read(interval(0), undefined);
    expect(raw.records.map((r) => Buffer.from(r))).toEqual([fake, Buffer.from('fine')]);
  });

  it('reads a parent shard to its end before its split children, each record once, and drops the parent after', async () => {
    const stream = await kinesis.newStream();
    const src = source(stream, { maxRecordsPerShard: 2 });
    await put(stream, ['p1', 'p2']);
    const [before] = await readBatches(src, 1);
    await put(stream, ['p3', 'p4', 'p5']);
    await split(stream, SHARD0, MIDDLE);
    await put(stream, ['l1', { data: 'r1', hashKey: HIGH }, 'l2', { data: 'r2', hashKey: HIGH }, 'l3']);

    const batches = await readBatches(src, 4, before.ranges);

    expect(batches.map((b) => b.records)).toEqual([
      ['p3', 'p4'], // the parent still has records: children wait, and are not listed
      ['p5', 'l1', 'l2', 'r1', 'r2'],
      ['l3'],
      [],
    ]);
    expect(batches.map((b) => b.ranges.map((r) => `${r.shard}:${r.count}`))).toEqual([
      [`${SHARD0}:2`],
      [`${SHARD0}:1`, `${SHARD1}:2`, `${SHARD2}:2`],
      [`${SHARD1}:1`, `${SHARD2}:0`],
      [`${SHARD1}:0`, `${SHARD2}:0`],
    ]);
    expect(await src.replay(batches[1].ranges, interval(1))).toEqual(batches[1].records);

    // A job starting from scratch reads the whole lineage, parent first.
    const fresh = await source(stream).read(interval(0), undefined);
    expect(fresh.records).toEqual(['p1', 'p2', 'p3', 'p4', 'p5', 'l1', 'l2', 'l3', 'r1', 'r2']);
  });

  it('reads both parents of a merge to their ends before the merged child, each record once', async () => {
    const stream = await kinesis.newStream(2);
    const src = source(stream);
    await put(stream, ['a1', { data: 'b1', hashKey: HIGH }]);
    const [before] = await readBatches(src, 1);
    await put(stream, ['a2', { data: 'b2', hashKey: HIGH }]);
    await merge(stream, SHARD0, SHARD1);
    await put(stream, ['m1', { data: 'm2', hashKey: HIGH }]);
    const shards = await listShards(kinesis.client, stream);
    expect(shards.find((s) => s.ShardId === SHARD2)).toMatchObject({
      ParentShardId: SHARD0,
      AdjacentParentShardId: SHARD1,
    });

    const [merged, after] = await readBatches(src, 2, before.ranges);
    expect(merged.records).toEqual(['a2', 'b2', 'm1', 'm2']);
    expect(merged.ranges.map((r) => `${r.shard}:${r.count}`)).toEqual([
      `${SHARD0}:1`,
      `${SHARD1}:1`,
      `${SHARD2}:2`,
    ]);
    expect(after.records).toEqual([]);
    expect(after.ranges.map((r) => r.shard)).toEqual([SHARD2]);
    expect(await source(stream).replay(merged.ranges, interval(1))).toEqual(merged.records);
  });

  it('replays recorded ranges to exactly the records the read returned, in order, from a fresh source', async () => {
    const stream = await kinesis.newStream(2);
    await put(stream, ['a0', { data: 'b0', hashKey: HIGH }, 'skip me']);
    const src = source(stream, { maxRecordsPerShard: 1 });
    const [, batch] = await readBatches(src, 2);
    await put(stream, ['later', { data: 'later too', hashKey: HIGH }]);
    expect(batch.records).toEqual(['skip me']);

    const onAnotherMachine = new KinesisSource({ streamName: stream, client: kinesis.newClient() });
    expect(await onAnotherMachine.replay(batch.ranges, interval(1))).toEqual(batch.records);
    const [all] = await readBatches(source(stream), 1);
    expect(await onAnotherMachine.replay(all.ranges, interval(0))).toEqual(all.records);
  });

  it('refuses to replay a range Kinesis no longer has, saying so', async () => {
    const stream = await kinesis.newStream();
    await put(stream, ['r1', 'r2']);
    const src = source(stream);
    const batch = await src.read(interval(0), undefined);
    const shardStart = (await listShards(kinesis.client, stream))[0].SequenceNumberRange!
      .StartingSequenceNumber!;

    // As if the first record had been trimmed: Kinesis now starts later than the recorded range.
    const trimmed = [{ ...batch.ranges[0], first: shardStart }];
    await expect(src.replay(trimmed, interval(0))).rejects.toThrow(SourceError);
    await expect(src.replay(trimmed, interval(0))).rejects.toThrow(/no longer has records .*trimmed/);

    await kinesis.client.send(new DeleteStreamCommand({ StreamName: stream }));
    await expect(src.replay(batch.ranges, interval(0))).rejects.toThrow(/no longer has records/);
  });

  it('says the stream does not exist and how to create it', async () => {
    const read = source('no-such-stream').read(interval(0), undefined);
    await expect(read).rejects.toThrow(SourceError);
    await expect(source('no-such-stream').read(interval(0), undefined)).rejects.toThrow(
      /Kinesis stream "no-such-stream" does not exist.*create-stream --stream-name no-such-stream/,
    );
  });

  it('rejects options it cannot honour', () => {
    expect(() => source('s', { maxRecordsPerShard: 0 })).toThrow(
      /maxRecordsPerShard must be a whole number.*pass e.g. 10000/,
    );
    expect(() => source('s', { maxRecordsPerShard: 2.5 })).toThrow(ConfigError);
    expect(() => source('s', { readConcurrency: 0 })).toThrow(ConfigError);
    expect(() => source('s', { startingPosition: 'AT_TIMESTAMP' as never })).toThrow(ConfigError);
    expect(() => source('', {})).toThrow(/streamName/);
  });

  describe('when Kinesis throttles', () => {
    /** Fake time that jumps at once; `sleep` sees each wait in ms. */
    function recordingClock() {
      const manual = new ManualClock(0, { autoAdvance: true });
      const sleep = jest.fn((ms: number) => ms);
      const clock = {
        now: () => manual.now(),
        sleepUntil: (time: number) => {
          sleep(time - manual.now());
          return manual.sleepUntil(time);
        },
      };
      return { clock, sleep };
    }

    const throttled = () =>
      new ProvisionedThroughputExceededException({ message: 'Rate exceeded for shard', $metadata: {} });

    /** A stub client: one shard, and GetRecords answered by `getRecords`. */
    function stubClient(getRecords: () => Promise<unknown>) {
      const send = jest.fn(async (command: unknown) => {
        if (command instanceof ListShardsCommand) {
          return { Shards: [{ ShardId: SHARD0, SequenceNumberRange: { StartingSequenceNumber: '1' } }] };
        }
        if (command instanceof GetShardIteratorCommand) return { ShardIterator: 'iterator-0' };
        if (command instanceof GetRecordsCommand) return getRecords();
        throw new Error(`unexpected command ${String(command)}`);
      });
      return { send };
    }

    it('retries with growing, jittered backoff and then reads the records', async () => {
      let calls = 0;
      const stub = stubClient(async () => {
        if (++calls <= 2) throw throttled();
        return {
          Records: [{ SequenceNumber: '7', Data: text('made it') }],
          NextShardIterator: 'iterator-1',
          MillisBehindLatest: 0,
        };
      });
      const { clock, sleep } = recordingClock();
      const src = new KinesisSource({
        streamName: 'busy',
        client: stub,
        clock,
        retry: { baseMs: 100, maxMs: 10_000, maxAttempts: 6 },
      });

      const batch = await src.read(interval(0), undefined);
      expect(batch.records).toEqual(['made it']);
      expect(batch.ranges).toEqual([
        {
          shard: SHARD0,
          first: '7',
          last: '7',
          count: 1,
          millisBehindLatest: 0,
          caughtUpAt: expect.any(Number),
        },
      ]);
      const [[first], [second]] = sleep.mock.calls;
      expect(first).toBeGreaterThanOrEqual(50);
      expect(first).toBeLessThanOrEqual(100);
      expect(second).toBeGreaterThanOrEqual(100);
      expect(second).toBeLessThanOrEqual(200);
      expect(sleep).toHaveBeenCalledTimes(2);
    });

    it('gives up after maxRetries with an error naming the stream and the shard', async () => {
      const stub = stubClient(async () => {
        throw throttled();
      });
      const { clock, sleep } = recordingClock();
      const src = new KinesisSource({
        streamName: 'busy',
        client: stub,
        clock,
        retry: { baseMs: 10, maxMs: 15, maxAttempts: 4 },
      });

      const error = await src.read(interval(0), undefined).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(SourceError);
      expect((error as Error).message).toMatch(
        /Kinesis stream "busy" shard shardId-000000000000 is still throttled \(ProvisionedThroughputExceededException\) after 3 retries/,
      );
      expect((error as Error).cause).toBeInstanceOf(ProvisionedThroughputExceededException);
      expect(sleep).toHaveBeenCalledTimes(3);
      expect(Math.max(...sleep.mock.calls.map(([ms]) => ms))).toBeLessThanOrEqual(15);
    });
  });
});
