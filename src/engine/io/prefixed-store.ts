import type { Store, StoreEntry, VersionedObject, WriteCondition } from './ports';

/** A view of another store under a key prefix, e.g. one job's `jobs/wordcount/` area of a shared bucket. */
export class PrefixedStore implements Store {
  constructor(
    readonly inner: Store,
    readonly prefix: string,
  ) {}

  put(key: string, body: Uint8Array): Promise<void> {
    return this.inner.put(this.prefix + key, body);
  }

  putIf(key: string, body: Uint8Array, condition: WriteCondition): Promise<string> {
    return this.inner.putIf(this.prefix + key, body, condition);
  }

  get(key: string): Promise<Uint8Array | undefined> {
    return this.inner.get(this.prefix + key);
  }

  getVersioned(key: string): Promise<VersionedObject | undefined> {
    return this.inner.getVersioned(this.prefix + key);
  }

  getRange(key: string, start: number, end: number): Promise<Uint8Array | undefined> {
    return this.inner.getRange(this.prefix + key, start, end);
  }

  has(key: string): Promise<boolean> {
    return this.inner.has(this.prefix + key);
  }

  delete(keys: readonly string[]): Promise<void> {
    return this.inner.delete(keys.map((key) => this.prefix + key));
  }

  async list(prefix: string): Promise<StoreEntry[]> {
    const entries = await this.inner.list(this.prefix + prefix);
    // Stripping a shared prefix keeps the inner store's order.
    return entries.map((entry) => ({ ...entry, key: entry.key.slice(this.prefix.length) }));
  }
}
