/** Shared pieces of the dataset tests: a store that counts reads, and datasets written into one. */
import { MemoryStore, type Store, utf8Bytes } from '../../../src/engine';

/** A MemoryStore that counts object reads (get, getRange, getVersioned), per key. */
export class CountingStore extends MemoryStore {
  readonly reads = new Map<string, number>();

  override async get(key: string) {
    this.count(key);
    return super.get(key);
  }

  override async getRange(key: string, start: number, end: number) {
    this.count(key);
    return super.getRange(key, start, end);
  }

  override async getVersioned(key: string) {
    this.count(key);
    return super.getVersioned(key);
  }

  /** Reads of every key, summed. */
  get totalReads(): number {
    return [...this.reads.values()].reduce((a, b) => a + b, 0);
  }

  private count(key: string): void {
    this.reads.set(key, (this.reads.get(key) ?? 0) + 1);
  }
}

/** Writes `objects` (key to lines) into `store` as newline-terminated text. */
export async function writeObjects(store: Store, objects: Record<string, string[]>): Promise<void> {
  for (const [key, lines] of Object.entries(objects)) {
    await store.put(key, utf8Bytes(lines.map((line) => `${line}\n`).join('')));
  }
}

/** Writes `rows` as JSON Lines objects of `perObject` rows each: `part-0.jsonl`, `part-1.jsonl` ... */
export async function writeJsonl(store: Store, rows: readonly unknown[], perObject: number): Promise<void> {
  for (let i = 0; i * perObject < rows.length; i++) {
    const lines = rows.slice(i * perObject, (i + 1) * perObject).map((row) => JSON.stringify(row));
    await writeObjects(store, { [`part-${i}.jsonl`]: lines });
  }
}
