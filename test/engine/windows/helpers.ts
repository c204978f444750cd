/**
 * Shared helpers for the window and state suites.
 */
import { MemoryStore } from '../../../src/engine';
import type { RunBatchesOptions } from '../../../src/engine/testing';

/**
 * A MemoryStore that fails a read once the same key has been read `limit` times. A lineage node that
 * keeps re-reading its own cached partition (a runaway recursion) then fails its batch instead of
 * looping until the test process runs out of memory.
 */
export class RunawayGuardStore extends MemoryStore {
  private readonly reads = new Map<string, number>();

  constructor(private readonly limit = 100) {
    super();
  }

  override async get(key: string): Promise<Uint8Array | undefined> {
    const reads = (this.reads.get(key) ?? 0) + 1;
    this.reads.set(key, reads);
    if (reads > this.limit) {
      throw new Error(`runaway recursion: store key '${key}' was read ${reads} times`);
    }
    return super.get(key);
  }
}

/** Run options with a runaway guard and a single attempt per task, so a looping batch fails fast. */
export function guarded(options: RunBatchesOptions = {}): RunBatchesOptions {
  return { store: new RunawayGuardStore(), retry: { maxAttempts: 1 }, ...options };
}
