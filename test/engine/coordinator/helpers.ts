/**
 * Shared helpers for the coordinator, error and exec tests: run a hand-built StreamingContext to
 * completion on an auto-advancing manual clock and hand back the store, the batch infos and the error.
 */
import type { StreamingContext } from '../../../src/engine/api';
import { MANIFEST_PREFIX } from '../../../src/engine/catalog';
import { ManualClock } from '../../../src/engine/io/clock';
import { MemoryStore } from '../../../src/engine/io/memory-store';
import type { Store } from '../../../src/engine/io/ports';
import type { BatchInfo, BatchManifest, ExchangePolicy, RetryPolicy } from '../../../src/engine/schedule';

export interface RunContextOptions {
  batches: number;
  store?: MemoryStore;
  retry?: Partial<RetryPolicy>;
  workers?: number;
  exchange?: Partial<ExchangePolicy>;
  onBatch?: (info: BatchInfo) => void;
}

export interface RunContextOutcome {
  store: MemoryStore;
  infos: BatchInfo[];
  /** What awaitTermination() rejected with, if it did. */
  error?: unknown;
}

/** Starts `ssc` at zero time 0 on an auto-advancing clock, runs `batches` batches and waits for the end. */
export async function runContext(
  ssc: StreamingContext,
  options: RunContextOptions,
): Promise<RunContextOutcome> {
  const store = options.store ?? new MemoryStore();
  const infos: BatchInfo[] = [];
  ssc.start({
    clock: new ManualClock(0, { autoAdvance: true }),
    zeroTime: 0,
    batches: options.batches,
    store,
    workers: options.workers ?? 2,
    retry: { backoffMs: 0, ...options.retry },
    ...(options.exchange ? { exchange: options.exchange } : {}),
    onBatch: (info) => {
      infos.push(info);
      options.onBatch?.(info);
    },
  });
  try {
    await ssc.awaitTermination();
    return { store, infos };
  } catch (error) {
    return { store, infos, error };
  }
}

/** Every manifest in the store, in batch-time order. */
export async function listManifests(store: Store): Promise<BatchManifest[]> {
  const entries = await store.list(MANIFEST_PREFIX);
  const manifests: BatchManifest[] = [];
  for (const entry of entries) {
    const bytes = await store.get(entry.key);
    manifests.push(JSON.parse(new TextDecoder().decode(bytes!)) as BatchManifest);
  }
  return manifests;
}

/** The error followed by its causes, outermost first. */
export function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e: unknown = error; e !== undefined && chain.length < 20; e = (e as Error).cause) chain.push(e);
  return chain;
}

export function chainMessages(error: unknown): string[] {
  return causeChain(error).map((e) => (e instanceof Error ? e.message : String(e)));
}

/** Polls (yielding to timers and I/O) until `condition` holds, failing after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** Distinct batch times that still have data under `batches/`. */
export async function batchTimesWithData(store: Store): Promise<number[]> {
  const times = new Set<number>();
  for (const entry of await store.list('batches/')) times.add(Number(entry.key.split('/')[1]));
  return [...times].sort((a, b) => a - b);
}
