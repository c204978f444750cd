import { defineJob, type Pair } from '../../../src/engine';
import { contextFor } from '../../../src/engine/api';
import { MemoryStore } from '../../../src/engine/io/memory-store';
import { snapshot } from '../../../src/engine/query';
import { runContext } from '../coordinator/helpers';

const seen = new Map<number, unknown[]>();

/** Tasks read a generator's partitions themselves (no blocks): a query replays them by the committed ranges. */
const job = defineJob({
  name: 'generated',
  batchInterval: '1s',
  partitions: 3,
  build(ssc) {
    const counts = ssc
      .generatorStream({ ratePerSecond: 40, generate: (i) => `k${(i * 7) % 5}` })
      .map((key): Pair<string, number> => [key, 1])
      .reduceByKeyAndWindow((a, b) => a + b, { window: '3s', slide: '1s' })
      .named('counts');
    counts.foreachBatch(async (rdd, time) => {
      seen.set(time, await rdd.collect());
    });
  },
});

describe('snapshot of a stream read directly by tasks', () => {
  it('recomputes a window from the inputs the committed batches read', async () => {
    const store = new MemoryStore();
    const outcome = await runContext(
      contextFor(job, () => undefined),
      { batches: 6, store },
    );
    expect(outcome.error).toBeUndefined();
    for (const at of [4000, 6000]) {
      const rdd = await snapshot<Pair<string, number>>(job, 'counts', { store, at });
      const rows = await rdd.collect();
      expect(rows).toEqual(seen.get(at));
      // 3 s of 40 records a second, whatever the partitioning.
      expect(rows.reduce((sum, [, n]) => sum + n, 0)).toBe(120);
    }
  });
});
