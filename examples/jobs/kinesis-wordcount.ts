/**
 * Word count over a Kinesis stream: 1 s batches, counts per batch written to the store (one JSON Lines
 * object per batch, created once), plus a running total per word and the
 * top words of every batch in the log. This is the job `serverless.yml` deploys and `npm start` runs.
 */
import { defineJob, type Pair, StoreSink } from 'sluice';

export const STREAM = process.env.SLUICE_STREAM ?? 'sluice-local-events';
export const counts = new StoreSink<Pair<string, number>>('word-counts');

export default defineJob({
  name: 'wordcount',
  batchInterval: '1s',
  partitions: 4,
  build(ssc) {
    const words = ssc
      .kinesisStream({ streamName: STREAM, decoder: 'utf8', maxRecordsPerShard: 50_000 })
      .flatMap((line) => line.split(/\s+/))
      .filter((word) => word.length > 0)
      .map((word): Pair<string, number> => [word.toLowerCase(), 1]);
    // Named streams can be queried while the job runs: `sluice query <this module> totals --run <query>`.
    const perBatch = words.reduceByKey((a, b) => a + b).named('counts');
    perBatch.writeTo(counts);
    const totals = words
      .updateStateByKey<string, number, number>((values, total) => (total ?? 0) + values.length)
      .named('totals');
    perBatch
      .transformWith(totals, (batch, all) => batch.join(all))
      .foreachBatch(async (rdd, time) => {
        const top = (await rdd.collect())
          .sort((a, b) => b[1][0] - a[1][0] || (a[0] < b[0] ? -1 : 1))
          .slice(0, 5);
        ssc.log(
          `batch ${new Date(time).toISOString()}  top words (batch/total): ${top.map(([w, [n, t]]) => `${w}=${n}/${t}`).join(' ')}`,
        );
      });
  },
});
