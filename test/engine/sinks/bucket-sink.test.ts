import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  BatchFailedError,
  type BucketSinkOptions,
  bucketSink,
  FsStore,
  ManualClock,
  MemoryStore,
  type Sink,
  type SinkPartitionInfo,
  StreamingContext,
} from '../../../src/engine';
import { SinkOutputConflictError } from '../../../src/engine/api';
import { S3Store } from '../../../src/engine/io/s3-store';
import type { CrashPoint } from '../../../src/engine/schedule';
import { startS3rver } from '../../support/s3rver';

/** 2026-12-01 15:59:58 UTC: three one-second batches straddle the hour. */
const ZERO = Date.UTC(2026, 11, 1, 15, 59, 58);
const decode = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes);

type Event = { user: string; n: number };

/** One coordinator process writing `inputs` (one array per batch) to `bucket`. */
async function runJob<T>(
  bucket: MemoryStore,
  inputs: T[][],
  options: BucketSinkOptions & {
    jobStore?: MemoryStore;
    batches?: number;
    crashAt?: (point: CrashPoint, time: number) => boolean;
    /** When this process starts (default: the zero time). */
    now?: number;
    wrap?: (sink: Sink<T>) => Sink<T>;
  } = {},
): Promise<unknown> {
  const { jobStore, batches, crashAt, wrap, now, ...sinkOptions } = options;
  const ssc = new StreamingContext({ batchInterval: 1000, partitions: 2, name: 'export' });
  const sink = bucketSink<T>(bucket, sinkOptions);
  ssc.queueStream(inputs).writeTo(wrap ? wrap(sink) : sink);
  ssc.start({
    store: jobStore ?? new MemoryStore(),
    clock: new ManualClock(now ?? ZERO, { autoAdvance: true }),
    zeroTime: ZERO,
    batches: batches ?? inputs.length,
    retry: { backoffMs: 0 },
    leaseTtlMs: 1000,
  });
  if (crashAt) ssc.coordinator!.crashAt = crashAt;
  return ssc.awaitTermination().then(
    () => undefined,
    (error: unknown) => error,
  );
}

async function contents(bucket: MemoryStore): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const { key } of await bucket.list('')) out[key] = decode(await bucket.get(key));
  return out;
}

describe('bucketSink', () => {
  it('writes each batch as one JSON Lines object under Hive-style dt= and hour= partitions', async () => {
    const bucket = new MemoryStore();
    const error = await runJob<Event>(bucket, [
      [{ user: 'a', n: 1 }],
      [],
      [
        { user: 'b', n: 2 },
        { user: 'c', n: 3 },
      ],
    ]);

    expect(error).toBeUndefined();
    expect(await contents(bucket)).toEqual({
      'dt=2026-12-01/hour=15/batch-001796140799000.jsonl': '{"user":"a","n":1}\n',
      'dt=2026-12-01/hour=16/batch-001796140801000.jsonl': '{"user":"b","n":2}\n{"user":"c","n":3}\n',
    });
  });

  it('writes CSV with a header and RFC 4180 quoting', async () => {
    const bucket = new MemoryStore();
    const rows = [
      { city: 'Paris, FR', quote: 'say "hi"', note: 'two\nlines', missing: null, nested: { a: [1] } },
      { city: 'Oslo', quote: '', note: 'plain', nested: 'x' },
    ];
    await runJob(bucket, [rows], { format: 'csv', name: 'cities' });

    expect(Object.values(await contents(bucket))).toEqual([
      'city,quote,note,missing,nested\n' +
        '"Paris, FR","say ""hi""","two\nlines",,"{""a"":[1]}"\n' +
        'Oslo,,plain,,x\n',
    ]);
  });

  it('writes the columns it is given, in their order', async () => {
    const bucket = new MemoryStore();
    await runJob<Event>(bucket, [[{ user: 'a', n: 1 }]], { format: 'csv', columns: ['n', 'user', 'extra'] });

    expect(Object.values(await contents(bucket))).toEqual(['n,user,extra\n1,a,\n']);
  });

  it('fails the batch with a clear error for a CSV row that is not an object, writing nothing', async () => {
    const bucket = new MemoryStore();
    const error = await runJob(bucket, [[['a', 1]]], { format: 'csv' });

    expect(error).toBeInstanceOf(BatchFailedError);
    expect(String((error as Error).cause)).toMatch(
      /bucketSink 'batch', batch 1796140799000, partition 0: row 0 is an array; CSV rows must be objects keyed by column/,
    );
    expect(await bucket.list('')).toEqual([]);
  });

  it('refuses a CSV row with a column the first row lacks rather than drop its value', async () => {
    const bucket = new MemoryStore();
    const error = await runJob(bucket, [[{ a: 1 }, { a: 2, b: 3 }]], { format: 'csv' });

    expect(String((error as Error).cause)).toMatch(/row 1 has a column 'b' that the header \(a\)/);
  });

  it('keeps parts under _staging until the batch commits, then moves them into the partition', async () => {
    const bucket = new MemoryStore();
    const seen: string[][] = [];
    await runJob<Event>(
      bucket,
      [
        [
          { user: 'a', n: 1 },
          { user: 'b', n: 2 },
          { user: 'c', n: 3 },
        ],
      ],
      {
        parts: 'partition',
        wrap: (sink) => ({
          name: sink.name,
          writePartition: async (rows, info) => {
            await sink.writePartition(rows, info);
            seen.push((await bucket.list('')).map((e) => e.key));
          },
          commitBatch: (info) => sink.commitBatch(info),
        }),
      },
    );

    // While tasks wrote, only staged (hidden) parts existed.
    expect(seen.flat().every((key) => key.startsWith('_staging/'))).toBe(true);
    expect(await contents(bucket)).toEqual({
      'dt=2026-12-01/hour=15/batch-001796140799000-part-00000.jsonl':
        '{"user":"a","n":1}\n{"user":"b","n":2}\n',
      'dt=2026-12-01/hour=15/batch-001796140799000-part-00001.jsonl': '{"user":"c","n":3}\n',
    });
  });

  it('writes every row once when tasks fail after writing their part and are retried', async () => {
    const bucket = new MemoryStore();
    const failed = new Set<number>();
    const error = await runJob<Event>(
      bucket,
      [
        [
          { user: 'a', n: 1 },
          { user: 'b', n: 2 },
        ],
        [{ user: 'c', n: 3 }],
      ],
      {
        parts: 'partition',
        wrap: (sink) => ({
          name: sink.name,
          async writePartition(rows: Event[], info: SinkPartitionInfo) {
            await sink.writePartition(rows, info);
            if (!failed.has(info.partition)) {
              failed.add(info.partition);
              throw new Error(`lost the connection after writing partition ${info.partition}`);
            }
          },
          commitBatch: (info) => sink.commitBatch(info),
        }),
      },
    );

    expect(error).toBeUndefined();
    const rows = Object.values(await contents(bucket)).join('');
    expect(rows.split('\n').filter(Boolean).sort()).toEqual([
      '{"user":"a","n":1}',
      '{"user":"b","n":2}',
      '{"user":"c","n":3}',
    ]);
  });

  it.each(['batch', 'partition'] as const)(
    'writes the same objects once when the coordinator dies between writing and committing (%s parts)',
    async (parts) => {
      const bucket = new MemoryStore();
      const jobStore = new MemoryStore();
      const inputs = [
        [{ user: 'a', n: 1 }],
        [
          { user: 'b', n: 2 },
          { user: 'c', n: 3 },
        ],
      ];
      const crash = await runJob<Event>(bucket, inputs, {
        parts,
        jobStore,
        crashAt: (point, time) => point === 'before-commit' && time === ZERO + 2000,
      });
      expect(String(crash)).toMatch(/injected coordinator crash before-commit/);
      const beforeRestart = await contents(bucket);

      // A new coordinator, once the dead one's lease has run out, re-runs the batch.
      const error = await runJob<Event>(bucket, inputs, { parts, jobStore, batches: 1, now: ZERO + 10_000 });

      expect(error).toBeUndefined();
      expect(await contents(bucket)).toEqual(beforeRestart);
      const rows = Object.values(beforeRestart).join('').split('\n').filter(Boolean);
      expect(rows.sort()).toEqual(['{"user":"a","n":1}', '{"user":"b","n":2}', '{"user":"c","n":3}']);
      expect(Object.keys(beforeRestart).some((key) => key.startsWith('_staging/'))).toBe(false);
    },
  );

  it('stops the batch when an object in its place holds other rows', async () => {
    const bucket = new MemoryStore();
    await bucket.put(
      'dt=2026-12-01/hour=15/batch-001796140799000.jsonl',
      new TextEncoder().encode('{"other":1}\n'),
    );
    const error = await runJob<Event>(bucket, [[{ user: 'a', n: 1 }]]);

    expect((error as Error).cause).toBeInstanceOf(SinkOutputConflictError);
  });

  it('writes to a directory named by its path', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'sluice-bucket-sink-'));
    try {
      const ssc = new StreamingContext({ batchInterval: 1000, partitions: 2, name: 'export' });
      ssc.queueStream([[{ n: 1 }]]).writeTo(bucketSink(root, { name: 'numbers' }));
      ssc.start({ clock: new ManualClock(ZERO, { autoAdvance: true }), zeroTime: ZERO, batches: 1 });
      await ssc.awaitTermination();
      const dir = new FsStore({ root });
      expect(decode(await dir.get('dt=2026-12-01/hour=15/numbers-001796140799000.jsonl'))).toBe('{"n":1}\n');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('writes to an s3:// bucket and prefix', async () => {
    const s3 = await startS3rver('exports');
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
    });
    try {
      const ssc = new StreamingContext({ batchInterval: 1000, partitions: 2, name: 'export' });
      ssc.queueStream([[{ n: 1 }, { n: 2 }]]).writeTo(bucketSink('s3://exports/events/', { format: 'csv' }));
      ssc.start({ clock: new ManualClock(ZERO, { autoAdvance: true }), zeroTime: ZERO, batches: 1 });
      await ssc.awaitTermination();
      const bucket = new S3Store({ client: s3.client, bucket: 'exports' });
      expect((await bucket.list('')).map((e) => e.key)).toEqual([
        'events/dt=2026-12-01/hour=15/batch-001796140799000.csv',
      ]);
      expect(decode(await bucket.get('events/dt=2026-12-01/hour=15/batch-001796140799000.csv'))).toBe(
        'n\n1\n2\n',
      );
    } finally {
      process.env = saved;
      await s3.stop();
    }
  });

  it('refuses options that cannot work, saying what to change', () => {
    expect(() => bucketSink(new MemoryStore(), { format: 'parquet' as 'csv' })).toThrow(
      /format must be 'jsonl' or 'csv', got "parquet"/,
    );
    expect(() => bucketSink(new MemoryStore(), { format: 'csv', parts: 'partition' })).toThrow(
      /needs columns: \[\.\.\.\], so every part has the same header/,
    );
    expect(() => bucketSink(new MemoryStore(), { name: '../up' })).toThrow(/bucketSink name '..\/up'/);
    expect(() => bucketSink('bucket/prefix')).toThrow(/bucketSink location 'bucket\/prefix' is ambiguous/);
  });
});
