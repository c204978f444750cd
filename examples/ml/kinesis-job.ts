/**
 * The same online travel-time estimation reading the GPS feed from Kinesis (local-aws runtime, or AWS).
 * The local runtime's producer puts `gpsRecord(i)` for i = 0, 1, 2 ... into the stream.
 */
import { defineJob } from 'sluice';
import { buildApp } from './traffic-pipeline';

export const STREAM = process.env.SLUICE_STREAM ?? 'sluice-gps-traversals';

export default defineJob({
  name: 'traffic-model',
  batchInterval: '1s',
  partitions: 4,
  build(ssc) {
    buildApp(ssc, ssc.kinesisStream({ streamName: STREAM, decoder: 'utf8', name: 'gps' }));
  },
});
