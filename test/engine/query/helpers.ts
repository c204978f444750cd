/** Runs the word-state job batch by batch on a manual clock, so queries can run between batches. */
import { contextFor, type StreamingContext } from '../../../src/engine/api';
import { ManualClock } from '../../../src/engine/io/clock';
import type { Store } from '../../../src/engine/io/ports';
import { waitFor } from '../coordinator/helpers';
import job from './fixtures/word-state-job';

export interface SteppedJob {
  context: StreamingContext;
  /** Batch times committed so far, in order. */
  committed: number[];
  /** Lets the next batch run and waits until it has committed; returns its time. */
  step(): Promise<number>;
  stop(): Promise<void>;
}

export function startStepped(store: Store, batches: number): SteppedJob {
  const clock = new ManualClock(0);
  const context = contextFor(job, () => undefined);
  const committed: number[] = [];
  context.start({
    store,
    clock,
    zeroTime: 0,
    batches,
    workers: 2,
    retry: { backoffMs: 0 },
    onBatch: (info) => committed.push(info.batchTime),
  });
  return {
    context,
    committed,
    async step() {
      const before = committed.length;
      clock.advance(1000);
      await waitFor(() => committed.length > before, `batch ${before + 1} to commit`, 10_000);
      return committed[committed.length - 1];
    },
    async stop() {
      await context.stop();
    },
  };
}

/** Every object of a store with its bytes, to compare a store before and after a query. */
export async function contentsOf(store: Store): Promise<Map<string, Uint8Array | undefined>> {
  const contents = new Map<string, Uint8Array | undefined>();
  for (const { key } of await store.list('')) contents.set(key, await store.get(key));
  return contents;
}
