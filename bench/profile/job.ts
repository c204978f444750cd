/**
 * The profiled job: WordCount, windowed WordCount (30 s window, 1 s slide, inverse reduce) or Grep,
 * chosen by SLUICE_PROFILE_WORKLOAD. The engine comes from SLUICE_PROFILE_ENGINE (a `src/engine`
 * directory), so one run can alternate the working tree with a baseline copy of the sources.
 */
import { resolve } from 'node:path';
import type * as Engine from '../../src/engine';
import { GREP_PATTERN, recordAt } from './records';

export type Workload = 'wordcount' | 'window' | 'grep';

const engine: typeof Engine = require(
  resolve(process.env.SLUICE_PROFILE_ENGINE ?? `${__dirname}/../../src/engine`),
);
const workload = (process.env.SLUICE_PROFILE_WORKLOAD ?? 'wordcount') as Workload;
export const RECORDS_PER_BATCH = Number(process.env.SLUICE_PROFILE_RECORDS ?? 200_000);

export default engine.defineJob({
  name: `profile-${workload}`,
  batchInterval: '1s',
  partitions: Number(process.env.SLUICE_PROFILE_PARTITIONS ?? 4),
  build(ssc) {
    const lines = ssc.generatorStream({ ratePerSecond: RECORDS_PER_BATCH, generate: recordAt });
    if (workload === 'grep') {
      lines
        .filter((line) => line.includes(GREP_PATTERN))
        .count()
        .foreachBatch(async (rdd) => {
          await rdd.collect();
        });
      return;
    }
    const pairs = lines
      .flatMap((line) => line.split(' '))
      .map((word): Engine.Pair<string, number> => [word, 1]);
    const counts =
      workload === 'window'
        ? pairs.reduceByKeyAndWindow((a, b) => a + b, {
            window: '30s',
            slide: '1s',
            inverse: (a, b) => a - b,
            filter: (entry) => entry[1] !== 0,
          })
        : pairs.reduceByKey((a, b) => a + b);
    counts.foreachBatch(async (rdd) => {
      await rdd.count();
    });
  },
});
