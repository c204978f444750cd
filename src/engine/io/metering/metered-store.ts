import type { Store, StoreEntry, VersionedObject, WriteCondition } from '../ports';
import { countRequests } from './meter';

/** S3's limits: keys per DeleteObjects request and per ListObjectsV2 page. */
const KEYS_PER_DELETE = 1000;
const KEYS_PER_LIST_PAGE = 1000;

/**
 * Counts every operation on a store as the S3 requests S3Store sends for it, into the current meter,
 * whatever the store really is (memory, directory, S3): the embedded runtimes count what AWS would bill.
 * Requests are counted when sent, failed or not (S3 bills refused conditional writes too).
 */
export class MeteredStore implements Store {
  constructor(readonly inner: Store) {}

  put(key: string, body: Uint8Array): Promise<void> {
    countRequests('s3Put');
    return this.inner.put(key, body);
  }

  putIf(key: string, body: Uint8Array, condition: WriteCondition): Promise<string> {
    countRequests('s3Put');
    return this.inner.putIf(key, body, condition);
  }

  get(key: string): Promise<Uint8Array | undefined> {
    countRequests('s3Get');
    return this.inner.get(key);
  }

  getVersioned(key: string): Promise<VersionedObject | undefined> {
    countRequests('s3Get');
    return this.inner.getVersioned(key);
  }

  getRange(key: string, start: number, end: number): Promise<Uint8Array | undefined> {
    // HTTP has no empty range: S3Store asks whether the object exists with a HEAD instead.
    countRequests(start === end ? 's3Head' : 's3Get');
    return this.inner.getRange(key, start, end);
  }

  has(key: string): Promise<boolean> {
    countRequests('s3Head');
    return this.inner.has(key);
  }

  delete(keys: readonly string[]): Promise<void> {
    countRequests('s3Delete', Math.ceil(keys.length / KEYS_PER_DELETE));
    return this.inner.delete(keys);
  }

  async list(prefix: string): Promise<StoreEntry[]> {
    let entries: StoreEntry[];
    try {
      entries = await this.inner.list(prefix);
    } catch (error) {
      countRequests('s3List');
      throw error;
    }
    // One page per 1,000 keys, and one for an empty listing.
    countRequests('s3List', Math.max(1, Math.ceil(entries.length / KEYS_PER_LIST_PAGE)));
    return entries;
  }
}

/** `store`, counted; a store already counted is returned as it is, so nothing is counted twice. */
export function meteredStore(store: Store): Store {
  return store instanceof MeteredStore ? store : new MeteredStore(store);
}
