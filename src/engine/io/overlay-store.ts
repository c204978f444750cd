import { ConditionFailedError } from './errors';
import { byKey, checkRange, MemoryStore } from './memory-store';
import type { Store, StoreEntry, VersionedObject, WriteCondition } from './ports';

/**
 * A store that reads through to `base` and keeps every write and delete in this process. A query over a
 * running job's store computes what it needs (recovered blocks, shuffle files, results) without ever
 * writing to the job's store, so the job cannot see, or trip over, anything the query did.
 */
export class OverlayStore implements Store {
  private readonly written = new MemoryStore();
  /** Keys deleted here: hidden from the base store until written here again. */
  private readonly deleted = new Set<string>();

  constructor(readonly base: Store) {}

  async put(key: string, body: Uint8Array): Promise<void> {
    this.deleted.delete(key);
    await this.written.put(key, body);
  }

  async putIf(key: string, body: Uint8Array, condition: WriteCondition): Promise<string> {
    // The write below is conditional on what was read here, so a writer that came in between loses.
    const here = await this.written.getVersioned(key);
    const current = here
      ? overlayVersion(here.version)
      : this.deleted.has(key)
        ? undefined
        : (await this.base.getVersioned(key))?.version;
    const holds = 'ifAbsent' in condition ? current === undefined : current === condition.ifVersion;
    if (!holds) {
      throw new ConditionFailedError(
        `conditional write of store key ${JSON.stringify(key)} refused: ${'ifAbsent' in condition ? 'it already exists' : 'it changed since it was read'}`,
        { key, condition },
      );
    }
    const version = await this.written.putIf(
      key,
      body,
      here ? { ifVersion: here.version } : { ifAbsent: true },
    );
    this.deleted.delete(key);
    return overlayVersion(version);
  }

  async getVersioned(key: string): Promise<VersionedObject | undefined> {
    const here = await this.written.getVersioned(key);
    if (here) return { body: here.body, version: overlayVersion(here.version) };
    if (this.deleted.has(key)) return undefined;
    return this.base.getVersioned(key);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    if (await this.written.has(key)) return this.written.get(key);
    if (this.deleted.has(key)) return undefined;
    return this.base.get(key);
  }

  async getRange(key: string, start: number, end: number): Promise<Uint8Array | undefined> {
    checkRange(key, start, end);
    if (await this.written.has(key)) return this.written.getRange(key, start, end);
    if (this.deleted.has(key)) return undefined;
    return this.base.getRange(key, start, end);
  }

  async has(key: string): Promise<boolean> {
    if (await this.written.has(key)) return true;
    if (this.deleted.has(key)) return false;
    return this.base.has(key);
  }

  async delete(keys: readonly string[]): Promise<void> {
    await this.written.delete(keys);
    for (const key of keys) this.deleted.add(key);
  }

  async list(prefix: string): Promise<StoreEntry[]> {
    const here = await this.written.list(prefix);
    const hereKeys = new Set(here.map((entry) => entry.key));
    const below = (await this.base.list(prefix)).filter(
      (entry) => !hereKeys.has(entry.key) && !this.deleted.has(entry.key),
    );
    return [...here, ...below].sort(byKey);
  }

  /** What was written or deleted here, for a caller that wants to know what the overlay kept from the base. */
  stats(): { objects: number; bytes: number; deleted: number } {
    return { ...this.written.stats(), deleted: this.deleted.size };
  }
}

/** Versions of objects written here never equal a base store's version (an S3 ETag, an fs version). */
function overlayVersion(version: string): string {
  return `overlay:${version}`;
}
