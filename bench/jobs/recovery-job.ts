/** Recovery benchmark job: running word totals (state) and a 10 s incremental window, 8 partitions. */
import { defineJob, type Pair } from '../../src/engine';

const VOCABULARY = Array.from({ length: 5000 }, (_, i) => `w${i}`);
export const RATE = Number(process.env.SLUICE_RECOVERY_RATE ?? 40_000);
const CHECKPOINT = process.env.SLUICE_RECOVERY_CHECKPOINT ?? '10s';

function line(index: number): string {
  let x = (index + 1) * 2654435761;
  const words: string[] = [];
  for (let i = 0; i < 8; i++) {
    x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) >>> 0;
    words.push(VOCABULARY[x % VOCABULARY.length]);
  }
  return words.join(' ');
}

export default defineJob({
  name: 'recovery',
  batchInterval: '1s',
  partitions: 8,
  build(ssc) {
    const pairs = ssc
      .generatorStream({ ratePerSecond: RATE, generate: line })
      .flatMap((l) => l.split(' '))
      .map((w): Pair<string, number> => [w, 1]);
    const totals = pairs
      .updateStateByKey<string, number, number>((values, total) => (total ?? 0) + values.length)
      .checkpoint(CHECKPOINT);
    const windowed = pairs
      .reduceByKeyAndWindow((a, b) => a + b, { window: '10s', inverse: (a, b) => a - b })
      .checkpoint(CHECKPOINT);
    totals
      .union(windowed)
      .count()
      .foreachBatch(async (rdd) => {
        await rdd.collect();
      });
  },
});
