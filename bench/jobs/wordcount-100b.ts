/** The D-Streams paper's WordCount workload: 100-byte text records, counts per batch. */
import { defineJob, type Pair } from '../../src/engine';

const VOCABULARY = Array.from({ length: 1000 }, (_, i) => `w${(i * 7919) % 10007}`);

/** A deterministic 100-byte line of words drawn from the record's position. */
export function record(index: number): string {
  let x = (index + 1) * 2654435761;
  let line = '';
  while (line.length < 100) {
    x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) >>> 0;
    line += `${VOCABULARY[x % VOCABULARY.length]} `;
  }
  return line.slice(0, 100);
}

export const RATE = Number(process.env.SLUICE_BENCH_RATE ?? 400_000);

export default defineJob({
  name: 'wordcount-100b',
  batchInterval: '1s',
  partitions: Number(process.env.SLUICE_BENCH_PARTITIONS ?? 4),
  build(ssc) {
    ssc
      .generatorStream({ ratePerSecond: RATE, generate: record })
      .flatMap((line) => line.split(' '))
      .map((word): Pair<string, number> => [word, 1])
      .reduceByKey((a, b) => a + b)
      .foreachBatch(async (rdd) => {
        await rdd.count();
      });
  },
});
