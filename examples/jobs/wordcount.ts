/**
 * Word count over a synthetic stream of sentences: 1 s batches, the top words of every batch.
 * A job is code: the coordinator and every task process load this module.
 */
import { defineJob, type Pair } from 'sluice';

const WORDS = [
  'stream',
  'batch',
  'lambda',
  'kinesis',
  'shard',
  'record',
  'lineage',
  'partition',
  'task',
  'window',
  'state',
  'checkpoint',
  'straggler',
  'recover',
  'replay',
  'shuffle',
  'reduce',
  'map',
  'key',
  'value',
];

/** Deterministic pseudo-random word choice from a record's position, so any interval can be replayed. */
export function sentence(index: number): string {
  const words: string[] = [];
  let x = (index + 1) * 2654435761;
  for (let i = 0; i < 8; i++) {
    x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) >>> 0;
    // Skewed choice: low indexes are more frequent, like real text.
    const pick = Math.floor((x / 0x100000000) ** 2 * WORDS.length);
    words.push(WORDS[pick]);
  }
  return words.join(' ');
}

export default defineJob({
  name: 'wordcount',
  batchInterval: '1s',
  partitions: 4,
  build(ssc) {
    const lines = ssc.generatorStream({ ratePerSecond: 20_000, generate: sentence, name: 'sentences' });
    const counts = lines
      .flatMap((line) => line.split(' '))
      .map((word): Pair<string, number> => [word, 1])
      .reduceByKey((a, b) => a + b)
      // Named, so `sluice query examples/jobs/wordcount.ts counts --run <query>` can read it while it runs.
      .named('counts');
    counts.foreachBatch(async (rdd, time) => {
      const top = (await rdd.collect()).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 5);
      ssc.log(
        `batch ${new Date(time).toISOString()}  top words: ${top.map(([w, n]) => `${w}=${n}`).join(' ')}`,
      );
    });
  },
});
