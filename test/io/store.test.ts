import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { StoreError } from '../../src/engine/io/errors';
import { FS_STORE_TEMP_PREFIX, FsStore } from '../../src/engine/io/fs-store';
import { MemoryStore } from '../../src/engine/io/memory-store';
import { OverlayStore } from '../../src/engine/io/overlay-store';
import { PrefixedStore } from '../../src/engine/io/prefixed-store';
import { describeStoreBehaviour } from './store-behaviour';

/** Listings without write times, which differ run to run. */
function keysAndSizes(entries: { key: string; size: number }[]) {
  return entries.map(({ key, size }) => ({ key, size }));
}

async function tempRoot(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'sluice-fs-store-'));
}

describeStoreBehaviour('MemoryStore', async () => ({ store: new MemoryStore() }));

describeStoreBehaviour('FsStore', async () => {
  const root = await tempRoot();
  return { store: new FsStore({ root }), cleanup: () => rm(root, { recursive: true, force: true }) };
});

describeStoreBehaviour('PrefixedStore over MemoryStore', async () => ({
  store: new PrefixedStore(new MemoryStore(), 'jobs/wordcount/'),
}));

describeStoreBehaviour('PrefixedStore over FsStore', async () => {
  const root = await tempRoot();
  return {
    store: new PrefixedStore(new FsStore({ root }), 'jobs/wordcount/'),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
});

describeStoreBehaviour('OverlayStore over MemoryStore', async () => ({
  store: new OverlayStore(new MemoryStore()),
}));

describeStoreBehaviour('OverlayStore over FsStore', async () => {
  const root = await tempRoot();
  return {
    store: new OverlayStore(new FsStore({ root })),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
});

describe('MemoryStore', () => {
  it('reports how many objects and bytes it holds', async () => {
    const store = new MemoryStore();
    expect(store.stats()).toEqual({ objects: 0, bytes: 0 });
    await store.put('a', new Uint8Array(10));
    await store.put('b', new Uint8Array(5));
    await store.put('a', new Uint8Array(3));
    expect(store.stats()).toEqual({ objects: 2, bytes: 8 });
    await store.delete(['b']);
    expect(store.stats()).toEqual({ objects: 1, bytes: 3 });
  });
});

describe('PrefixedStore', () => {
  it('writes under the prefix in the inner store and strips it from listings', async () => {
    const inner = new MemoryStore();
    await inner.put('jobs/other/x', new Uint8Array(1));
    const store = new PrefixedStore(inner, 'jobs/wc/');
    await store.put('batch-1/out', new Uint8Array(2));
    expect(await inner.list('')).toMatchObject([
      { key: 'jobs/other/x', size: 1 },
      { key: 'jobs/wc/batch-1/out', size: 2 },
    ]);
    expect(await store.list('')).toMatchObject([{ key: 'batch-1/out', size: 2 }]);
    await store.delete(['batch-1/out', 'x']);
    expect(await inner.has('jobs/other/x')).toBe(true);
    expect(await inner.has('jobs/wc/batch-1/out')).toBe(false);
  });

  it('nests: a prefixed view of a prefixed view joins both prefixes', async () => {
    const inner = new MemoryStore();
    const store = new PrefixedStore(new PrefixedStore(inner, 'jobs/'), 'wc/');
    await store.put('k', new Uint8Array([1]));
    expect(await inner.get('jobs/wc/k')).toEqual(new Uint8Array([1]));
    expect(await store.list('')).toMatchObject([{ key: 'k', size: 1 }]);
  });
});

describe('OverlayStore', () => {
  const bytes = (...values: number[]) => new Uint8Array(values);

  async function baseWith(entries: Record<string, number[]>): Promise<MemoryStore> {
    const base = new MemoryStore();
    for (const [key, values] of Object.entries(entries)) await base.put(key, bytes(...values));
    return base;
  }

  it('reads what the base store holds, whole and by range', async () => {
    const overlay = new OverlayStore(await baseWith({ 'm/1': [1, 2, 3] }));
    expect(await overlay.get('m/1')).toEqual(bytes(1, 2, 3));
    expect(await overlay.getRange('m/1', 1, 3)).toEqual(bytes(2, 3));
    expect(await overlay.has('m/1')).toBe(true);
    expect((await overlay.getVersioned('m/1'))?.body).toEqual(bytes(1, 2, 3));
  });

  it('keeps writes and deletes to itself: the base store is unchanged', async () => {
    const base = await baseWith({ 'm/1': [1], 'm/2': [2] });
    const overlay = new OverlayStore(base);
    await overlay.put('m/1', bytes(9));
    await overlay.put('m/3', bytes(3));
    await overlay.delete(['m/2']);
    await overlay.putIf('m/4', bytes(4), { ifAbsent: true });
    expect(await overlay.get('m/1')).toEqual(bytes(9));
    expect(await overlay.has('m/2')).toBe(false);
    expect(keysAndSizes(await overlay.list('m/'))).toEqual([
      { key: 'm/1', size: 1 },
      { key: 'm/3', size: 1 },
      { key: 'm/4', size: 1 },
    ]);
    expect(keysAndSizes(await base.list(''))).toEqual([
      { key: 'm/1', size: 1 },
      { key: 'm/2', size: 1 },
    ]);
    expect(await base.get('m/1')).toEqual(bytes(1));
    expect(overlay.stats()).toEqual({ objects: 3, bytes: 3, deleted: 1 });
  });

  it('shows a key deleted here and written again with the new bytes', async () => {
    const overlay = new OverlayStore(await baseWith({ k: [1] }));
    await overlay.delete(['k']);
    expect(await overlay.get('k')).toBeUndefined();
    await overlay.put('k', bytes(2));
    expect(await overlay.get('k')).toEqual(bytes(2));
    expect(keysAndSizes(await overlay.list(''))).toEqual([{ key: 'k', size: 1 }]);
  });

  it('checks conditional writes against the base version until the key is written here', async () => {
    const base = await baseWith({ k: [1] });
    const overlay = new OverlayStore(base);
    await expect(overlay.putIf('k', bytes(2), { ifAbsent: true })).rejects.toThrow(/already exists/);
    const { version } = (await base.getVersioned('k'))!;
    const mine = await overlay.putIf('k', bytes(2), { ifVersion: version });
    expect(mine).not.toBe(version);
    await expect(overlay.putIf('k', bytes(3), { ifVersion: version })).rejects.toThrow(/changed/);
    await overlay.putIf('k', bytes(3), { ifVersion: mine });
    expect(await overlay.get('k')).toEqual(bytes(3));
    expect(await base.get('k')).toEqual(bytes(1));
  });
});

describe('FsStore', () => {
  let root: string;
  let store: FsStore;

  beforeEach(async () => {
    root = await tempRoot();
    store = new FsStore({ root });
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('stores each key as a file at that relative path under the root', async () => {
    await store.put('jobs/wc/batch-1.bin', new Uint8Array([4, 5]));
    expect(new Uint8Array(await readFile(path.join(root, 'jobs', 'wc', 'batch-1.bin')))).toEqual(
      new Uint8Array([4, 5]),
    );
  });

  it('creates the root directory on first write', async () => {
    const nested = new FsStore({ root: path.join(root, 'not', 'yet') });
    expect(await nested.list('')).toEqual([]);
    await nested.put('k', new Uint8Array([1]));
    expect(await nested.get('k')).toEqual(new Uint8Array([1]));
  });

  const badKeys: Array<[string, RegExp]> = [
    ['', /empty/],
    ['/etc/passwd', /absolute/],
    ['../escape', /'\.\.'/],
    ['a/../../escape', /'\.\.'/],
    ['..', /'\.\.'/],
    ['a/./b', /'\.'/],
    ['a//b', /empty path segment/],
    ['trailing/', /empty path segment/],
    ['back\\slash', /backslash/],
    ['nul\0byte', /NUL/],
    [`dir/${FS_STORE_TEMP_PREFIX}x`, /reserved/],
  ];

  it.each(badKeys)('rejects the key %j with a message naming the key and why', async (key, why) => {
    const check = async (op: Promise<unknown>) => {
      const err = await op.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(StoreError);
      expect((err as StoreError).message).toContain(JSON.stringify(key));
      expect((err as StoreError).message).toMatch(why);
      expect((err as StoreError).context).toEqual({ key });
    };
    await check(store.put(key, new Uint8Array([1])));
    await check(store.get(key));
    await check(store.getRange(key, 0, 1));
    await check(store.has(key));
    await check(store.delete(['fine', key]));
    // Nothing was written anywhere, including outside the root.
    expect(await readdir(root)).toEqual([]);
  });

  it('rejects a list prefix whose directory part could escape the root', async () => {
    await expect(store.list('../')).rejects.toThrow(/invalid store prefix "\.\.\/"/);
    await expect(store.list('/abs')).rejects.toThrow(StoreError);
    await expect(store.list('a\\b')).rejects.toThrow(StoreError);
  });

  it('validates every key before deleting any of them', async () => {
    await store.put('keep', new Uint8Array([1]));
    await expect(store.delete(['keep', '../bad'])).rejects.toThrow(StoreError);
    expect(await store.has('keep')).toBe(true);
  });

  it('never lets a concurrent reader see a partially written object', async () => {
    const size = 1 << 20;
    const versions = [1, 2, 3, 4, 5, 6].map((v) => new Uint8Array(size).fill(v));
    await store.put('big', versions[0]);
    let writing = true;
    const writer = (async () => {
      for (let round = 0; round < 3; round++) {
        await Promise.all(versions.map((v) => store.put('big', v)));
      }
      writing = false;
    })();
    const seen: string[] = [];
    let reads = 0;
    while (writing || reads === 0) {
      const [body, listed] = await Promise.all([store.get('big'), store.list('')]);
      reads++;
      expect(body).toBeDefined();
      expect(body!.length).toBe(size);
      // One fill value throughout means the bytes all came from a single put.
      expect(body!.every((b) => b === body![0])).toBe(true);
      seen.push(...listed.map((e) => e.key));
    }
    await writer;
    expect(new Set(seen)).toEqual(new Set(['big']));
  });

  it('leaves no temp files behind after puts', async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.put(`t/k${i % 3}`, new Uint8Array(100))));
    expect(await readdir(path.join(root, 't'))).toEqual(['k0', 'k1', 'k2']);
  });

  it('does not list temp files left by an interrupted write', async () => {
    await store.put('dir/real', new Uint8Array([1]));
    await writeFile(path.join(root, 'dir', `${FS_STORE_TEMP_PREFIX}abc123`), new Uint8Array([1, 2]));
    await writeFile(path.join(root, `${FS_STORE_TEMP_PREFIX}def456`), new Uint8Array([1, 2]));
    expect(await store.list('')).toMatchObject([{ key: 'dir/real', size: 1 }]);
    expect(await store.list('dir/')).toMatchObject([{ key: 'dir/real', size: 1 }]);
  });

  it('wraps a failed write in a StoreError with the key and the fs error as cause', async () => {
    await store.put('a', new Uint8Array([1]));
    // 'a' is a file, so it cannot also be the directory of 'a/b'.
    const err = await store.put('a/b', new Uint8Array([2])).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).message).toContain('"a/b"');
    expect((err as StoreError).context).toMatchObject({ key: 'a/b', op: 'put' });
    // fs errors come from another realm than jest's sandbox, so check the errno code, not instanceof.
    expect((err as StoreError).cause).toMatchObject({ code: expect.stringMatching(/^E[A-Z]+$/) });
    expect(await store.list('')).toMatchObject([{ key: 'a', size: 1 }]);
  });

  it('wraps a failed overwrite of a directory path and leaves no temp file', async () => {
    await store.put('d/x', new Uint8Array([1]));
    await expect(store.put('d', new Uint8Array([2]))).rejects.toThrow(StoreError);
    expect((await readdir(root)).sort()).toEqual(['d']);
  });
});
