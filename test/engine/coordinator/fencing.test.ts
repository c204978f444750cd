/**
 * The fence in storage: two coordinators on one store, one paused past its lease. Run against every
 * store that offers conditional writes, including S3 over the local endpoint that enforces them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsStore, ManualClock, MemoryStore } from '../../../src/engine';
import {
  JOB_KEY,
  JobCatalog,
  jobStoreIn,
  Lease,
  LeaseHeldError,
  StaleCoordinatorError,
} from '../../../src/engine/catalog';
import type { Store } from '../../../src/engine/io/ports';
import { S3Store } from '../../../src/engine/io/s3-store';
import { LogSource, wordCount as sharedWordCount } from '../../support/log-source';
import { type LocalS3, startS3rver } from '../../support/s3rver';

const wordCount = (log: string[]) => sharedWordCount(new LogSource(log), 'fenced');

async function snapshot(store: Store): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const entry of await store.list('')) {
    if (entry.key === 'lease.json') continue;
    out.set(entry.key, Buffer.from((await store.get(entry.key))!).toString('base64'));
  }
  return out;
}

interface StoreKind {
  name: string;
  make(): Promise<{ store: Store; cleanup(): Promise<void> }>;
}

let s3: LocalS3 | undefined;
const kinds: StoreKind[] = [
  { name: 'memory', make: async () => ({ store: new MemoryStore(), cleanup: async () => undefined }) },
  {
    name: 'directory',
    make: async () => {
      const root = await mkdtemp(join(tmpdir(), 'sluice-fence-'));
      return { store: new FsStore({ root }), cleanup: () => rm(root, { recursive: true, force: true }) };
    },
  },
  {
    name: 'S3 (local endpoint enforcing conditional writes)',
    make: async () => {
      s3 ??= await startS3rver('sluice-fence');
      const prefix = `run-${Math.random().toString(36).slice(2)}/`;
      return {
        store: new S3Store({ client: s3.client, bucket: s3.bucket, prefix }),
        cleanup: async () => undefined,
      };
    },
  },
];

afterAll(async () => {
  await s3?.stop();
});

describe.each(kinds)('fencing a stale coordinator on the $name store', (kind) => {
  let root: Store;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ store: root, cleanup } = await kind.make());
  });
  afterEach(() => cleanup());

  it('refuses every write of a coordinator that comes back after another committed its batch', async () => {
    const store = jobStoreIn(root, 'fenced');
    // A frozen process sees no time go by (its lease renewals stop too): it has a clock of its own.
    const oldClock = new ManualClock(0, { autoAdvance: true });
    const log = ['a', 'b', 'a'];
    let resume!: () => void;
    // The old coordinator freezes right after reading batch 1000's input (a frozen Lambda, a GC pause).
    const old = wordCount(log);
    old.source.pause = new Promise<void>((r) => {
      resume = r;
    });
    const paused = new Promise<void>((r) => {
      old.source.onPause = r;
    });
    old.ssc.start({ store, clock: oldClock, zeroTime: 0, batches: 3, owner: 'old', leaseTtlMs: 1000 });
    await paused;
    // More records arrive; the old lease expires and a new coordinator, 10 s later, runs batches 1000-3000.
    log.push('c', 'd');
    const clock = new ManualClock(10_000, { autoAdvance: true });
    const fresh = wordCount(log);
    fresh.ssc.start({ store, clock, zeroTime: 0, batches: 3, owner: 'new', leaseTtlMs: 1000 });
    await fresh.ssc.awaitTermination();
    const committed = await snapshot(store);

    // The old one wakes up: its clock jumps by the time it was frozen.
    oldClock.advance(10_000);
    resume();
    await expect(old.ssc.awaitTermination()).rejects.toThrow(StaleCoordinatorError);

    // Nothing the new coordinator wrote was replaced: manifests, input blocks, sink parts, markers.
    expect(await snapshot(store)).toEqual(committed);
    const batches = await fresh.sink.committedBatches(store);
    const rows = (await Promise.all(batches.map((t) => fresh.sink.readBatch(store, t)))).flat();
    const total = rows.reduce((sum, row) => sum + row![1], 0);
    expect(total).toBe(log.length);
  });

  it('lets exactly one of two coordinators starting at once take the lease', async () => {
    const catalog = new JobCatalog(jobStoreIn(root, 'race'));
    const clock = new ManualClock(0);
    const outcomes = await Promise.allSettled([
      Lease.acquire(catalog, clock, 'one', 10_000),
      Lease.acquire(catalog, clock, 'two', 10_000),
    ]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const loser = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect(loser.reason).toBeInstanceOf(LeaseHeldError);
  });

  it('refuses renewal to a coordinator whose lease was taken over after it expired', async () => {
    const catalog = new JobCatalog(jobStoreIn(root, 'renew'));
    const clock = new ManualClock(0);
    const old = await Lease.acquire(catalog, clock, 'old', 1000);
    clock.advance(2000);
    const fresh = await Lease.acquire(catalog, clock, 'new', 1000);
    await expect(old.renew()).rejects.toThrow(StaleCoordinatorError);
    await expect(old.assertHeld()).rejects.toThrow(/replaced by new/);
    await fresh.assertHeld();
    expect(fresh.epoch).toBe(old.epoch + 1);
  });

  it('hands the lease to the named successor only', async () => {
    const catalog = new JobCatalog(jobStoreIn(root, 'handover'));
    const clock = new ManualClock(0);
    const outgoing = await Lease.acquire(catalog, clock, 'outgoing', 60_000);
    await outgoing.handOver('successor');
    await expect(Lease.acquire(catalog, clock, 'intruder', 60_000)).rejects.toThrow(LeaseHeldError);
    const successor = await Lease.acquire(catalog, clock, 'successor', 60_000);
    expect(successor.epoch).toBe(outgoing.epoch + 1);
    await expect(outgoing.assertHeld()).rejects.toThrow(StaleCoordinatorError);
  });

  it('keeps the zero time and continues after the last commit when the job identity object is lost', async () => {
    const store = jobStoreIn(root, 'fenced');
    const clock = new ManualClock(5000, { autoAdvance: true });
    const log = ['a', 'b'];
    const first = wordCount(log);
    first.ssc.start({ store, clock, batches: 2, owner: 'first' });
    await first.ssc.awaitTermination();
    await store.delete([JOB_KEY]);
    log.push('c');
    clock.advance(60_000);
    const second = wordCount(log);
    // It proposes a new zero time; the committed manifests win.
    second.ssc.start({ store, clock, batches: 1, owner: 'second' });
    await second.ssc.awaitTermination();
    expect((await new JobCatalog(store).readJob())?.zeroTime).toBe(5000);
    const batches = await second.sink.committedBatches(store);
    expect(batches).toEqual([6000, 7000, 8000]);
    const rows = (await Promise.all(batches.map((t) => second.sink.readBatch(store, t)))).flat();
    expect(rows.reduce((sum, row) => sum + row![1], 0)).toBe(3);
  });
});
