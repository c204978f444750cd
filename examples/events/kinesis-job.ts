/**
 * The same event analytics reading the gateway logs from Kinesis (local-aws runtime, or AWS).
 * The local runtime's producer puts `apiEvent(i)` for i = 0, 1, 2 ... into the stream.
 */
import { defineJob } from 'sluice';
import { buildApp } from './event-pipeline';

export const STREAM = process.env.SLUICE_STREAM ?? 'sluice-api-events';

export default defineJob({
  name: 'api-events',
  batchInterval: '1s',
  partitions: 4,
  build(ssc) {
    buildApp(ssc, ssc.kinesisStream({ streamName: STREAM, decoder: 'utf8', name: 'api-events' }));
  },
});
