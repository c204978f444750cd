import { ConditionFailedError, StoreError } from './errors';
import type { Store, StoreEntry, VersionedObject, WriteCondition } from './ports';

/**
 * Checks a `getRange` request. `end` may run past the object (or be `Infinity`) and is clamped by the
 * store; a negative, fractional or inverted range is a caller bug, so it is rejected rather than guessed at.
 */
export function checkRange(key: string, start: number, end: number): void {
  const endOk = end === Number.POSITIVE_INFINITY || (Number.isSafeInteger(end) && end >= 0);
  if (!Number.isSafeInteger(start) || start < 0 || !endOk || end < start) {
    throw new StoreError(`invalid byte range [${start}, ${end}) for store key ${JSON.stringify(key)}`, {
      key,
      start,
      end,
    });
  }
}

/** An in-process store for tests and local runs. */
export class MemoryStore implements Store {
  private readonly objects = new Map<string, Uint8Array>();
  /** Each write of a key gets a new version; the check and the write happen in one synchronous step. */
  private readonly versions = new Map<string, string>();
  private readonly modified = new Map<string, number>();
  private writes = 0;

  async put(key: string, body: Uint8Array): Promise<void> {
    this.write(key, body);
  }

  async putIf(key: string, body: Uint8Array, condition: WriteCondition): Promise<string> {
    const current = this.versions.get(key);
    const holds = 'ifAbsent' in condition ? current === undefined : current === condition.ifVersion;
    if (!holds) {
      throw new ConditionFailedError(
        `conditional write of store key ${JSON.stringify(key)} refused: ${'ifAbsent' in condition ? 'it already exists' : 'it changed since it was read'}`,
        { key, condition },
      );
    }
    return this.write(key, body);
  }

  async getVersioned(key: string): Promise<VersionedObject | undefined> {
    const body = this.objects.get(key);
    const version = this.versions.get(key);
    return body && version ? { body: copyOf(body), version } : undefined;
  }

  private write(key: string, body: Uint8Array): string {
    // Callers reuse encode buffers, so keep our own copy.
    this.objects.set(key, copyOf(body));
    const version = `m${++this.writes}`;
    this.versions.set(key, version);
    this.modified.set(key, Date.now());
    return version;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    // Copy out too, so a caller mutating the result cannot corrupt the stored object.
    const body = this.objects.get(key);
    return body && copyOf(body);
  }

  async getRange(key: string, start: number, end: number): Promise<Uint8Array | undefined> {
    checkRange(key, start, end);
    const body = this.objects.get(key);
    if (body === undefined) return undefined;
    return copyOf(body.subarray(Math.min(start, body.length), Math.min(end, body.length)));
  }

  async has(key: string): Promise<boolean> {
    return this.objects.has(key);
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      this.objects.delete(key);
      this.versions.delete(key);
      this.modified.delete(key);
    }
  }

  async list(prefix: string): Promise<StoreEntry[]> {
    const entries: StoreEntry[] = [];
    for (const [key, body] of this.objects) {
      if (key.startsWith(prefix)) entries.push({ key, size: body.length, modified: this.modified.get(key) });
    }
    return entries.sort(byKey);
  }

  stats(): { objects: number; bytes: number } {
    let bytes = 0;
    for (const body of this.objects.values()) bytes += body.length;
    return { objects: this.objects.size, bytes };
  }
}

/** Code-unit order, the same order every store returns from `list`. */
export function byKey(a: StoreEntry, b: StoreEntry): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/**
 * A copy that owns its memory. `Buffer#slice` is a view: a stored view of an encoder's shared buffer would
 * keep all of it alive, and a caller writing into its bytes would change what is stored.
 */
function copyOf(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}
