/**
 * Property: whatever order objects land in (keys in any order, uploads that finish late, listings that
 * run late, capped batches, manifests round-tripped through JSON), every object is read by exactly one
 * batch, never before its write time, and a replay of a batch reads exactly what the batch read.
 */
import fc from 'fast-check';
import { MemoryStore, type SourceRange, type StoreEntry } from '../../src/engine';
import { ObjectStreamSource } from '../../src/engine/io/object-stream-source';

const LOOKBACK = 5000;
const BATCH = 1000;

interface Landing {
  key: string;
  /** When the upload started: S3's LastModified. */
  modified: number;
  /** How long the upload took: it is listed only from `modified + uploadMs` on. */
  uploadMs: number;
}

/** A landing prefix as listed at a moment: only uploads finished by then. */
class ListedAt extends MemoryStore {
  now = 0;
  private readonly landings = new Map<string, Landing>();

  async land(landing: Landing): Promise<void> {
    this.landings.set(landing.key, landing);
    await this.put(landing.key, new TextEncoder().encode(landing.key));
  }

  override async list(prefix: string): Promise<StoreEntry[]> {
    return (await super.list(prefix))
      .map((e) => ({ ...e, landing: this.landings.get(e.key)! }))
      .filter(({ landing }) => landing.modified + landing.uploadMs <= this.now)
      .map(({ landing, ...e }) => ({ ...e, modified: landing.modified }));
  }
}

const landingsArb = fc.uniqueArray(
  fc.record({
    key: fc.stringMatching(/^[a-z0-9/]{1,6}$/),
    modified: fc.integer({ min: 0, max: 15_000 }),
    uploadMs: fc.integer({ min: 0, max: LOOKBACK - 1 }),
  }),
  { selector: (l) => l.key, maxLength: 25 },
);

describe('ObjectStreamSource (property)', () => {
  it('reads every landed object exactly once, whatever the landing order, listing delays and caps', async () => {
    await fc.assert(
      fc.asyncProperty(
        landingsArb,
        fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: 60, maxLength: 60 }),
        fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
        async (landings, listingDelays, cap) => {
          const store = new ListedAt();
          for (const landing of landings) await store.land(landing);
          const source = new ObjectStreamSource<string>('landing', store, {
            format: 'text',
            lookbackMs: LOOKBACK,
            maxObjectsPerBatch: cap,
          });
          const readAt = new Map<string, number>();
          let after: SourceRange[] | undefined;
          for (let index = 0; index < listingDelays.length; index++) {
            const interval = { batchIndex: index, batchTime: (index + 1) * BATCH, intervalMs: BATCH };
            // Batches run in order; each lists at or after its batch time.
            store.now = Math.max(store.now, interval.batchTime + listingDelays[index]);
            const batch = await source.read(interval, after);
            for (const key of batch.records) {
              expect(readAt.has(key)).toBe(false);
              readAt.set(key, interval.batchTime);
            }
            // The coordinator keeps ranges in JSON manifests.
            after = JSON.parse(JSON.stringify(batch.ranges)) as SourceRange[];
            expect(await source.replay(after, interval)).toEqual(batch.records);
          }
          expect([...readAt.keys()].sort()).toEqual(landings.map((l) => l.key).sort());
          for (const landing of landings) {
            expect(readAt.get(landing.key)).toBeGreaterThanOrEqual(landing.modified);
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
