import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  type FileStreamOptions,
  ManualClock,
  MemoryStore,
  readManifest,
  type StoreEntry,
  StreamingContext,
} from '../../src/engine';
import { runTask, type TaskResult, type TaskSpec } from '../../src/engine/exec';
import { SourceError } from '../../src/engine/io/errors';
import { InProcessInvoker } from '../../src/engine/io/in-process-invoker';
import { ObjectStreamSource } from '../../src/engine/io/object-stream-source';
import { S3Store } from '../../src/engine/io/s3-store';
import { type LocalS3, startS3rver } from '../support/s3rver';

const text = (s: string) => new TextEncoder().encode(s);

/**
 * The user's landing prefix. Each object gets the write time the test gives it, as S3 dates an object by
 * when its upload started: an object can appear in listings long after objects dated later.
 */
class LandingStore extends MemoryStore {
  private readonly dates = new Map<string, number>();
  readonly reads: string[] = [];

  async land(key: string, body: string, modified: number): Promise<void> {
    await this.put(key, text(body));
    this.dates.set(key, modified);
  }

  override async list(prefix: string): Promise<StoreEntry[]> {
    return (await super.list(prefix)).map((e) => ({ ...e, modified: this.dates.get(e.key) ?? e.modified }));
  }

  override async get(key: string): Promise<Uint8Array | undefined> {
    this.reads.push(key);
    return super.get(key);
  }
}

/**
 * One coordinator process of a job reading `landing`, driven batch by batch on a manual clock (batch k
 * at k seconds); `window` makes each output span two batches, so earlier input is read again.
 */
function fileJob(
  jobStore: MemoryStore,
  landing: LandingStore,
  options: FileStreamOptions<string> & { window?: boolean } = {},
) {
  const ssc = new StreamingContext({ batchInterval: 1000, partitions: 2, name: 'files' });
  const outputs = new Map<number, string[]>();
  const stream = ssc.fileStream(landing, { name: 'landing', ...options });
  (options.window ? stream.window({ window: '2s' }) : stream).foreachBatch(async (rdd, time) => {
    outputs.set(time, (await rdd.collect()) as string[]);
  });
  // The context's own invoker closes when its first run ends; this one serves every step.
  const invoker = new InProcessInvoker<TaskSpec, TaskResult>(
    (spec) => runTask(spec, { store: jobStore, graphFor: () => ssc.graph }),
    2,
  );
  ssc.start({
    store: jobStore,
    invoker,
    clock: new ManualClock(0, { autoAdvance: true }),
    zeroTime: 0,
    batches: 0,
    retry: { backoffMs: 0 },
  });
  return {
    outputs,
    async run(batches: number) {
      await ssc.awaitTermination();
      await ssc.coordinator!.run({ batches });
    },
    /** Every record output so far, by batch time. */
    all: () => [...outputs.entries()].sort(([a], [b]) => a - b).flatMap(([, rows]) => rows),
  };
}

async function takenKeys(store: MemoryStore, time: number): Promise<string[]> {
  const manifest = await readManifest(store, time);
  return manifest!.inputs[0].ranges[0].objects!.taken.map((o) => o.key);
}

describe('fileStream over a landing prefix', () => {
  it('puts every object that lands between batches in exactly one batch', async () => {
    const jobStore = new MemoryStore();
    const landing = new LandingStore();
    const job = fileJob(jobStore, landing);
    await landing.land('in/b.txt', 'b1\nb2\n', 400);
    await landing.land('in/a.txt', 'a1', 900);
    await job.run(1);
    await landing.land('in/c.txt', 'c1\r\nc2', 1500);
    // Dated after batch 2's time: it belongs to batch 3 even though it is already listed.
    await landing.land('in/d.txt', 'd1', 2500);
    await job.run(1);
    await job.run(1);
    await job.run(1);

    expect(job.outputs.get(1000)).toEqual(['b1', 'b2', 'a1']);
    expect(job.outputs.get(2000)).toEqual(['c1', 'c2']);
    expect(job.outputs.get(3000)).toEqual(['d1']);
    expect(job.outputs.get(4000)).toEqual([]);
    expect(await takenKeys(jobStore, 1000)).toEqual(['in/b.txt', 'in/a.txt']);
    expect(await takenKeys(jobStore, 4000)).toEqual([]);
    expect((await readManifest(jobStore, 2000))?.inputs[0].records).toBe(2);
  });

  it('reads an object that appears after objects dated later, whatever its key', async () => {
    const jobStore = new MemoryStore();
    const landing = new LandingStore();
    const job = fileJob(jobStore, landing);
    await landing.land('in/m.txt', 'm', 800);
    await job.run(1);
    // A slow upload started at 300 (before m) and completed after batch 1 listed the prefix; its key
    // also sorts before every key already read.
    await landing.land('in/a-slow.txt', 'slow', 300);
    await landing.land('in/z.txt', 'z', 1200);
    await job.run(2);

    expect(job.all()).toEqual(['m', 'slow', 'z']);
    expect(await takenKeys(jobStore, 2000)).toEqual(['in/a-slow.txt', 'in/z.txt']);
  });

  it('resumes after a restart without skipping or repeating an object', async () => {
    const jobStore = new MemoryStore();
    const landing = new LandingStore();
    const first = fileJob(jobStore, landing);
    await landing.land('1.txt', 'one', 500);
    await first.run(1);
    await landing.land('2.txt', 'two', 1500);
    await first.run(1);
    // Land while no coordinator runs: a late one dated before the last batch, and two new ones.
    await landing.land('0-late.txt', 'late', 1900);
    await landing.land('3.txt', 'three', 2100);
    await landing.land('4.txt', 'four', 3900);

    const second = fileJob(jobStore, landing);
    await second.run(3);

    expect(first.all()).toEqual(['one', 'two']);
    expect(second.all()).toEqual(['late', 'three', 'four']);
    expect([...second.outputs.keys()]).toEqual([3000, 4000, 5000]);
  });

  it('neither forgets nor repeats objects when the stream is renamed between runs', async () => {
    const jobStore = new MemoryStore();
    const landing = new LandingStore();
    const first = fileJob(jobStore, landing);
    await landing.land('1.txt', 'one', 500);
    await first.run(1);
    await landing.land('2.txt', 'two', 1500);

    const renamed = fileJob(jobStore, landing, { name: 'landing-v2' });
    await renamed.run(1);

    expect(first.all()).toEqual(['one']);
    expect(renamed.all()).toEqual(['two']);
  });

  it('reads exactly the same objects again when a lost input block is recomputed', async () => {
    const jobStore = new MemoryStore();
    const landing = new LandingStore();
    const job = fileJob(jobStore, landing, { window: true });
    await landing.land('a.txt', 'a1\na2', 100);
    await landing.land('b.txt', 'b1', 200);
    await job.run(1);
    // Lose batch 1's input blocks and cached window slice: batch 2's window must read its objects again.
    const lost = (await jobStore.list('batches/000000000001000/')).filter(
      (e) => e.key.includes('/stored/') || e.key.includes('/input/'),
    );
    expect(lost.some((e) => e.key.includes('/input/'))).toBe(true);
    await jobStore.delete(lost.map((e) => e.key));
    // Lands before the recomputation, dated inside batch 1: it is new input of batch 2, not of batch 1.
    await landing.land('c.txt', 'c1', 700);
    landing.reads.length = 0;
    await job.run(1);

    expect(job.outputs.get(1000)).toEqual(['a1', 'a2', 'b1']);
    expect(job.outputs.get(2000)?.sort()).toEqual(['a1', 'a2', 'b1', 'c1']);
    // The task of each lost block reads its batch's objects again (then keeps its share); c once, new.
    expect(landing.reads.sort()).toEqual(['a.txt', 'a.txt', 'b.txt', 'b.txt', 'c.txt']);
    expect(await takenKeys(jobStore, 2000)).toEqual(['c.txt']);
  });

  it('refuses to replay an object that changed since its batch read it', async () => {
    const landing = new LandingStore();
    const source = new ObjectStreamSource<string>('landing', landing, { lookbackMs: 60_000 });
    const interval = { batchIndex: 0, batchTime: 1000, intervalMs: 1000 };
    await landing.land('a.txt', 'a', 500);
    const batch = await source.read(interval, undefined);
    await landing.land('a.txt', 'a, rewritten', 1500);

    await expect(source.replay(batch.ranges, interval)).rejects.toThrow(SourceError);
    await expect(source.replay(batch.ranges, interval)).rejects.toThrow(/"a.txt" now has 12 bytes, not 1/);
  });

  it('dead-letters a line that is not JSON with its object and line, and keeps the others', async () => {
    const jobStore = new MemoryStore();
    const landing = new LandingStore();
    const job = fileJob(jobStore, landing, { format: 'jsonl' });
    await landing.land('events.jsonl', '{"n":1}\nnot json\n\n{"n":2}\n', 500);
    await job.run(1);

    expect(job.outputs.get(1000)).toEqual([{ n: 1 }, { n: 2 }]);
    const letters = await jobStore.list('deadletters/000000000001000/');
    expect(letters.map((e) => e.key)).toEqual(['deadletters/000000000001000/s0/landing.json']);
    const stored = JSON.parse(new TextDecoder().decode((await jobStore.get(letters[0].key))!));
    expect(stored.letters).toEqual([
      expect.objectContaining({
        position: 'events.jsonl:2',
        data: Buffer.from('not json').toString('base64'),
      }),
    ]);
    expect((await readManifest(jobStore, 1000))?.inputs[0].deadLetters).toBe(1);
  });

  it('skips objects written before the stream started unless asked to read them', async () => {
    const landing = new LandingStore();
    await landing.land('old.txt', 'old', -5000);
    await landing.land('new.txt', 'new', 500);
    const skipping = fileJob(new MemoryStore(), landing);
    await skipping.run(1);
    const reading = fileJob(new MemoryStore(), landing, { existing: 'read' });
    await reading.run(1);

    expect(skipping.all()).toEqual(['new']);
    expect(reading.all()).toEqual(['old', 'new']);
  });

  it('ignores bookkeeping objects whose name starts with _ or .', async () => {
    const landing = new LandingStore();
    const job = fileJob(new MemoryStore(), landing);
    await landing.land('data/_SUCCESS', 'marker', 100);
    await landing.land('data/.part.tmp', 'half', 100);
    await landing.land('_staging/p0.txt', 'uncommitted', 100);
    await landing.land('data/p0.txt', 'row', 100);
    await job.run(1);

    expect(job.all()).toEqual(['row']);
  });

  it('drains a backlog oldest first when batches are capped, skipping none', async () => {
    const landing = new LandingStore();
    const job = fileJob(new MemoryStore(), landing, {
      existing: 'read',
      maxObjectsPerBatch: 2,
      lookback: '1s',
    });
    for (let i = 0; i < 7; i++) await landing.land(`k${9 - i}`, `r${i}`, -100_000 + i);
    await job.run(5);

    expect([...job.outputs.values()]).toEqual([['r0', 'r1'], ['r2', 'r3'], ['r4', 'r5'], ['r6'], []]);
  });

  it('remembers only objects within the lookback, so manifests stay small', async () => {
    const jobStore = new MemoryStore();
    const landing = new LandingStore();
    const job = fileJob(jobStore, landing, { lookback: '2s' });
    for (let batch = 1; batch <= 6; batch++) {
      await landing.land(`o${batch}`, `r${batch}`, batch * 1000 - 500);
      await job.run(1);
    }
    const state = (await readManifest(jobStore, 6000))!.inputs[0].ranges[0].objects!;

    expect(job.all()).toEqual(['r1', 'r2', 'r3', 'r4', 'r5', 'r6']);
    expect(state.floor).toBe(4000);
    expect(state.remembered).toEqual({ o5: 4500, o6: 5500 });
  });

  it('refuses a format it does not know, naming the ones it does', () => {
    const ssc = new StreamingContext({ batchInterval: 1000 });
    expect(() => ssc.fileStream(new MemoryStore(), { format: 'csv' as 'lines' })).toThrow(
      /unknown format "csv"; use one of 'lines', 'jsonl', 'text'/,
    );
    expect(() => ssc.fileStream('s3:/typo')).toThrow(/fileStream location 's3:\/typo'/);
  });
});

describe('fileStream over a directory', () => {
  it('reads files by their modification time, whatever order they were written in', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'sluice-file-stream-'));
    try {
      const ssc = new StreamingContext({ batchInterval: 1000, partitions: 2, name: 'dirfiles' });
      const batches: string[][] = [];
      ssc.fileStream(`file://${root}`).foreachBatch(async (rdd) => {
        batches.push((await rdd.collect()) as string[]);
      });
      const zero = Date.UTC(2026, 0, 1);
      // Written in this order, dated (mtime) into batches 2 and 1.
      for (const [file, line, at] of [
        ['logs/b.log', 'second', zero + 1500],
        ['logs/a.log', 'first', zero + 500],
      ] as const) {
        await mkdir(path.join(root, 'logs'), { recursive: true });
        await writeFile(path.join(root, file), `${line}\n`);
        await utimes(path.join(root, file), new Date(at), new Date(at));
      }
      ssc.start({ clock: new ManualClock(zero, { autoAdvance: true }), zeroTime: zero, batches: 3 });
      await ssc.awaitTermination();

      expect(batches).toEqual([['first'], ['second'], []]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('fileStream over S3', () => {
  let s3: LocalS3;
  const saved = { ...process.env };

  beforeAll(async () => {
    s3 = await startS3rver('landing-bucket');
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
    });
  });

  afterAll(async () => {
    process.env = saved;
    await s3.stop();
  });

  it('reads objects landing under an s3:// prefix by their LastModified', async () => {
    const bucket = new S3Store({ client: s3.client, bucket: 'landing-bucket' });
    const landedAt = Date.now();
    await bucket.put('events/2026/a.jsonl', text('{"id":"a"}\n{"id":"b"}\n'));
    await bucket.put('events/2026/b.jsonl', text('{"id":"c"}'));
    await bucket.put('other/x.jsonl', text('{"id":"elsewhere"}'));
    // Batches around the upload time; S3 dates objects to the second.
    const zeroTime = Math.floor(landedAt / 1000) * 1000 - 3000;
    const ssc = new StreamingContext({ batchInterval: 1000, partitions: 2, name: 's3files' });
    const rows: unknown[] = [];
    ssc.fileStream('s3://landing-bucket/events/', { format: 'jsonl' }).foreachBatch(async (rdd) => {
      rows.push(...(await rdd.collect()));
    });
    ssc.start({
      store: new MemoryStore(),
      clock: new ManualClock(zeroTime, { autoAdvance: true }),
      zeroTime,
      batches: 6,
    });
    await ssc.awaitTermination();

    expect(rows).toEqual([{ id: 'a' }, { id: 'b' }, { id: 'c' }]);
  });
});
