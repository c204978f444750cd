/**
 * API event analytics fed by synthetic gateway logs (memory and threads runtimes).
 * A job is code: the coordinator and every task process load this module and build the same graph.
 */
import { defineJob } from 'sluice';
import { apiEvent } from './api-traffic';
import { buildApp } from './event-pipeline';

/** Events per second unless the runner's --rate says otherwise (the outage and promotion times assume it). */
export const DEFAULT_RATE = 1000;

export default defineJob({
  name: 'api-events',
  batchInterval: '1s',
  partitions: 4,
  build(ssc) {
    const ratePerSecond = Number(process.env.SLUICE_EXAMPLE_RATE ?? DEFAULT_RATE);
    buildApp(ssc, ssc.generatorStream({ ratePerSecond, generate: apiEvent, name: 'api-events' }));
  },
});
