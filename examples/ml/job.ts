/**
 * Online travel-time estimation fed by a synthetic GPS feed (memory and threads runtimes).
 * A job is code: the coordinator and every task process load this module and build the same graph.
 */
import { defineJob } from 'sluice';
import { gpsRecord } from './gps-generator';
import { buildApp } from './traffic-pipeline';

/** Traversals per second unless the runner's --rate says otherwise. */
export const DEFAULT_RATE = 1000;

export default defineJob({
  name: 'traffic-model',
  batchInterval: '1s',
  partitions: 4,
  build(ssc) {
    const ratePerSecond = Number(process.env.SLUICE_EXAMPLE_RATE ?? DEFAULT_RATE);
    buildApp(ssc, ssc.generatorStream({ ratePerSecond, generate: gpsRecord, name: 'gps' }));
  },
});
