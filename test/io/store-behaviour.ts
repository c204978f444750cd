import { isConditionFailed, StoreError } from '../../src/engine/io/errors';
import type { Store } from '../../src/engine/io/ports';

const bytes = (...values: number[]) => new Uint8Array(values);
const text = (s: string) => new TextEncoder().encode(s);

/** The listing's keys and sizes (write times are checked on their own, as they vary). */
async function listed(store: Store, prefix: string): Promise<{ key: string; size: number }[]> {
  return (await store.list(prefix)).map(({ key, size }) => ({ key, size }));
}

/** Runs `count` conditional writes at once and returns the indexes of those that were not refused. */
async function winnersOf(count: number, write: (i: number) => Promise<unknown>): Promise<number[]> {
  const outcomes = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      write(i).then(
        () => i,
        (e: unknown) => {
          if (!isConditionFailed(e)) throw e;
          return -1;
        },
      ),
    ),
  );
  return outcomes.filter((i) => i >= 0);
}

/** The contract every Store adapter must meet; each adapter's test file runs this once. */
export function describeStoreBehaviour(
  name: string,
  make: () => Promise<{ store: Store; cleanup?: () => Promise<void> }>,
): void {
  describe(`${name} (Store behaviour)`, () => {
    let store: Store;
    let cleanup: (() => Promise<void>) | undefined;

    beforeEach(async () => {
      ({ store, cleanup } = await make());
    });

    afterEach(async () => {
      await cleanup?.();
    });

    describe('put and get', () => {
      it('returns the bytes that were put', async () => {
        await store.put('a/b', bytes(1, 2, 3));
        expect(await store.get('a/b')).toEqual(bytes(1, 2, 3));
      });

      it('keeps what was put when the caller changes its bytes afterwards, or the bytes it got back', async () => {
        const shared = Buffer.from([9, 1, 2, 3, 9]);
        await store.put('view', shared.subarray(1, 4));
        shared.fill(0);
        const got = (await store.get('view'))!;
        got.fill(7);
        expect(await store.get('view')).toEqual(bytes(1, 2, 3));
      });

      it('returns undefined for a key that was never written', async () => {
        expect(await store.get('never/written')).toBeUndefined();
      });

      it('replaces the bytes when a key is written again', async () => {
        await store.put('k', text('first, longer value'));
        await store.put('k', text('second'));
        expect(await store.get('k')).toEqual(text('second'));
        expect(await listed(store, 'k')).toEqual([{ key: 'k', size: 6 }]);
      });

      it('stores an empty object', async () => {
        await store.put('empty', new Uint8Array(0));
        expect(await store.get('empty')).toEqual(new Uint8Array(0));
        expect(await store.has('empty')).toBe(true);
        expect(await listed(store, 'empty')).toEqual([{ key: 'empty', size: 0 }]);
      });

      it('round-trips every byte value unchanged', async () => {
        const all = new Uint8Array(512).map((_, i) => i % 256);
        await store.put('binary', all);
        expect(await store.get('binary')).toEqual(all);
      });

      it('stores only the bytes of a view, not its whole underlying buffer', async () => {
        const backing = bytes(9, 9, 1, 2, 3, 9, 9);
        await store.put('view', backing.subarray(2, 5));
        expect(await store.get('view')).toEqual(bytes(1, 2, 3));
      });

      it('keeps its own copy, so reusing the written buffer does not change the object', async () => {
        const buf = bytes(1, 2, 3);
        await store.put('copied', buf);
        buf.fill(0);
        expect(await store.get('copied')).toEqual(bytes(1, 2, 3));
      });

      it('is not changed when a caller mutates bytes it got back', async () => {
        await store.put('copied', bytes(1, 2, 3));
        const got = (await store.get('copied'))!;
        got.fill(7);
        const range = (await store.getRange('copied', 0, 3))!;
        range.fill(7);
        expect(await store.get('copied')).toEqual(bytes(1, 2, 3));
      });

      it('accepts keys with nested slashes and characters like @ # = : .', async () => {
        const keys = [
          'jobs/wordcount/batch-000001/part=3/shuffle@2#1:a.bin',
          'x.y',
          'k=v/p:q/r#s@t',
          'deep/a/b/c/d/e/f/g/h.msgpack',
          'dots.in.the/middle..of-names',
        ];
        await Promise.all(keys.map((key, i) => store.put(key, bytes(i))));
        for (const [i, key] of keys.entries()) {
          expect(await store.get(key)).toEqual(bytes(i));
          expect(await store.has(key)).toBe(true);
        }
        expect((await store.list('')).map((e) => e.key)).toEqual([...keys].sort());
      });

      it('handles many concurrent puts and gets of distinct keys', async () => {
        const n = 200;
        const keys = Array.from({ length: n }, (_, i) => `many/${i % 7}/obj-${i}`);
        await Promise.all(keys.map((key, i) => store.put(key, text(`value ${i}`))));
        const got = await Promise.all(keys.map((key) => store.get(key)));
        for (const [i, body] of got.entries()) expect(body).toEqual(text(`value ${i}`));
        expect(await store.list('many/')).toHaveLength(n);
      });

      it('ends with one whole value when the same key is written concurrently', async () => {
        const values = Array.from({ length: 20 }, (_, i) => new Uint8Array(10_000 + i).fill(i));
        await Promise.all(values.map((v) => store.put('contended', v)));
        const got = (await store.get('contended'))!;
        expect(values.some((v) => v.length === got.length && v.every((b, i) => b === got[i]))).toBe(true);
      });
    });

    describe('getRange', () => {
      beforeEach(async () => {
        await store.put('r', bytes(0, 1, 2, 3, 4, 5, 6, 7, 8, 9));
      });

      it('returns bytes from start up to but not including end', async () => {
        expect(await store.getRange('r', 2, 5)).toEqual(bytes(2, 3, 4));
      });

      it('returns the whole object for the range [0, size)', async () => {
        expect(await store.getRange('r', 0, 10)).toEqual(bytes(0, 1, 2, 3, 4, 5, 6, 7, 8, 9));
      });

      it('clamps an end past the object to its size', async () => {
        expect(await store.getRange('r', 7, 1000)).toEqual(bytes(7, 8, 9));
        expect(await store.getRange('r', 7, Number.POSITIVE_INFINITY)).toEqual(bytes(7, 8, 9));
      });

      it('returns no bytes for an empty range or a start at or past the end', async () => {
        expect(await store.getRange('r', 4, 4)).toEqual(new Uint8Array(0));
        expect(await store.getRange('r', 10, 20)).toEqual(new Uint8Array(0));
        expect(await store.getRange('r', 50, 60)).toEqual(new Uint8Array(0));
      });

      it('returns undefined for a key that was never written', async () => {
        expect(await store.getRange('missing', 0, 10)).toBeUndefined();
      });

      it('rejects negative, fractional or inverted ranges', async () => {
        await expect(store.getRange('r', -1, 3)).rejects.toThrow(StoreError);
        await expect(store.getRange('r', 1.5, 3)).rejects.toThrow(StoreError);
        await expect(store.getRange('r', 5, 2)).rejects.toThrow(StoreError);
      });
    });

    describe('has and delete', () => {
      it('reports whether an object exists', async () => {
        await store.put('present', bytes(1));
        expect(await store.has('present')).toBe(true);
        expect(await store.has('absent')).toBe(false);
      });

      it('treats a key prefix of an existing key as absent', async () => {
        await store.put('dir/file', bytes(1));
        expect(await store.has('dir')).toBe(false);
        expect(await store.get('dir')).toBeUndefined();
      });

      it('deletes present keys and ignores missing ones', async () => {
        await store.put('d/1', bytes(1));
        await store.put('d/2', bytes(2));
        await store.put('d/3', bytes(3));
        await store.delete(['d/1', 'd/3', 'd/never', 'other/never']);
        expect(await store.has('d/1')).toBe(false);
        expect(await store.get('d/3')).toBeUndefined();
        expect(await store.get('d/2')).toEqual(bytes(2));
        expect(await listed(store, 'd/')).toEqual([{ key: 'd/2', size: 1 }]);
      });

      it('does nothing when asked to delete no keys', async () => {
        await store.put('kept', bytes(1));
        await store.delete([]);
        expect(await store.has('kept')).toBe(true);
      });

      it('can write a key again after deleting it', async () => {
        await store.put('again', bytes(1));
        await store.delete(['again']);
        await store.put('again', bytes(2));
        expect(await store.get('again')).toEqual(bytes(2));
      });
    });

    describe('list', () => {
      it('returns nothing for an empty store', async () => {
        expect(await store.list('')).toEqual([]);
      });

      it('returns every object, sorted by key, for the empty prefix', async () => {
        await store.put('b', bytes(1, 2));
        await store.put('a/z', bytes(1));
        await store.put('a/b/c', bytes());
        await store.put('a-', bytes(1, 2, 3));
        expect(await listed(store, '')).toEqual([
          { key: 'a-', size: 3 },
          { key: 'a/b/c', size: 0 },
          { key: 'a/z', size: 1 },
          { key: 'b', size: 2 },
        ]);
      });

      it('returns only keys starting with the prefix, sorted, with sizes', async () => {
        await store.put('jobs/wc/batch-2/out', bytes(1, 2));
        await store.put('jobs/wc/batch-10/out', bytes(1));
        await store.put('jobs/wc/batch-1/out', bytes(1, 2, 3));
        await store.put('jobs/other/batch-1/out', bytes(1));
        await store.put('jobs/wcx', bytes(1));
        expect(await listed(store, 'jobs/wc/')).toEqual([
          { key: 'jobs/wc/batch-1/out', size: 3 },
          { key: 'jobs/wc/batch-10/out', size: 1 },
          { key: 'jobs/wc/batch-2/out', size: 2 },
        ]);
      });

      it('matches the prefix as text, not as whole path segments', async () => {
        await store.put('logs/2024/a', bytes(1));
        await store.put('logs/2025', bytes(1));
        await store.put('logs/20', bytes(1));
        await store.put('logs/3', bytes(1));
        await store.put('logs2', bytes(1));
        expect((await store.list('logs/20')).map((e) => e.key)).toEqual([
          'logs/20',
          'logs/2024/a',
          'logs/2025',
        ]);
        expect((await store.list('logs')).map((e) => e.key)).toEqual([
          'logs/20',
          'logs/2024/a',
          'logs/2025',
          'logs/3',
          'logs2',
        ]);
      });

      it('includes a key equal to the prefix', async () => {
        await store.put('exact/key', bytes(1));
        expect(await listed(store, 'exact/key')).toEqual([{ key: 'exact/key', size: 1 }]);
      });

      it('says when each object was written, in ms since the epoch', async () => {
        // S3 keeps LastModified to the second and a filesystem may round, so allow a little either side.
        const before = Date.now() - 2_000;
        await store.put('when/a', bytes(1));
        await store.putIf('when/b', bytes(2), { ifAbsent: true });
        const after = Date.now() + 2_000;
        for (const entry of await store.list('when/')) {
          expect(entry.modified).toEqual(expect.any(Number));
          expect(entry.modified).toBeGreaterThanOrEqual(before);
          expect(entry.modified).toBeLessThanOrEqual(after);
        }
      });

      it('gives an object written again a write time no earlier than the first', async () => {
        await store.put('again', bytes(1));
        const [first] = await store.list('again');
        await store.put('again', bytes(2, 3));
        const [second] = await store.list('again');
        expect(second.size).toBe(2);
        expect(second.modified).toBeGreaterThanOrEqual(first.modified ?? Number.POSITIVE_INFINITY);
      });

      it('returns nothing for a prefix no key starts with', async () => {
        await store.put('a/b', bytes(1));
        expect(await store.list('nope/')).toEqual([]);
        expect(await store.list('a/c')).toEqual([]);
        expect(await store.list('a/b/')).toEqual([]);
      });
    });

    describe('conditional writes', () => {
      const refused = async (write: Promise<unknown>) => {
        const error = await write.then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(isConditionFailed(error)).toBe(true);
      };

      it('creates a key only when it is absent', async () => {
        const version = await store.putIf('meta/lease', text('first'), { ifAbsent: true });
        expect(typeof version).toBe('string');
        await refused(store.putIf('meta/lease', text('second'), { ifAbsent: true }));
        expect(await store.get('meta/lease')).toEqual(text('first'));
      });

      it('returns the version a later compare-and-set needs', async () => {
        const created = await store.putIf('meta/lease', text('one'), { ifAbsent: true });
        const read = await store.getVersioned('meta/lease');
        expect(read).toEqual({ body: text('one'), version: created });
        const replaced = await store.putIf('meta/lease', text('two'), { ifVersion: created });
        expect((await store.getVersioned('meta/lease'))?.version).toBe(replaced);
        expect(await store.get('meta/lease')).toEqual(text('two'));
      });

      it('refuses a compare-and-set with a version that is no longer current', async () => {
        const first = await store.putIf('meta/lease', text('one'), { ifAbsent: true });
        await store.putIf('meta/lease', text('two'), { ifVersion: first });
        await refused(store.putIf('meta/lease', text('three'), { ifVersion: first }));
        expect(await store.get('meta/lease')).toEqual(text('two'));
      });

      it('refuses a compare-and-set of a key that does not exist', async () => {
        await store.put('meta/other', text('x'));
        const version = (await store.getVersioned('meta/other'))!.version;
        await refused(store.putIf('meta/missing', text('x'), { ifVersion: version }));
        expect(await store.has('meta/missing')).toBe(false);
      });

      it('lets exactly one of several concurrent creators win', async () => {
        const winners = await winnersOf(8, (i) =>
          store.putIf('meta/commit', text(`writer ${i}`), { ifAbsent: true }),
        );
        expect(winners).toHaveLength(1);
        expect(await store.get('meta/commit')).toEqual(text(`writer ${winners[0]}`));
      });

      it('lets exactly one of several concurrent compare-and-sets of one version win', async () => {
        const base = await store.putIf('meta/lease', text('base'), { ifAbsent: true });
        const winners = await winnersOf(6, (i) =>
          store.putIf('meta/lease', text(`taker ${i}`), { ifVersion: base }),
        );
        expect(winners).toHaveLength(1);
        expect(await store.get('meta/lease')).toEqual(text(`taker ${winners[0]}`));
      });

      it('has no version for a key that was never written, and a fresh one after delete and create', async () => {
        expect(await store.getVersioned('meta/none')).toBeUndefined();
        await store.putIf('meta/again', text('a'), { ifAbsent: true });
        await store.delete(['meta/again']);
        await store.putIf('meta/again', text('b'), { ifAbsent: true });
        expect(await store.get('meta/again')).toEqual(text('b'));
      });
    });
  });
}
