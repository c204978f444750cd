/**
 * Video session monitoring on synthetic heartbeats (memory and threads runtimes): 1 s batches,
 * 30 s windows sliding every 5 s. `npm run example:video` runs it.
 */
import { defineJob } from 'sluice';
import { exampleRate, heartbeatGenerator } from './heartbeats';
import { buildApp } from './pipeline';

export default defineJob({
  name: 'video',
  batchInterval: '1s',
  partitions: 4,
  build(ssc) {
    const rate = exampleRate();
    const generate = heartbeatGenerator(rate);
    const events = ssc.generatorStream({
      ratePerSecond: rate,
      generate: (index) => JSON.stringify(generate(index)),
      name: 'heartbeats',
    });
    buildApp(ssc, events);
  },
});
