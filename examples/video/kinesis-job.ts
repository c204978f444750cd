/**
 * The video monitoring job reading its heartbeats from Kinesis (`--runtime local-aws`, or deployed):
 * the same application as job.ts, fed by the producer that puts the same generator's records.
 */
import { defineJob } from 'sluice';
import { buildApp } from './pipeline';

export const STREAM = process.env.SLUICE_STREAM ?? 'sluice-video-heartbeats';

export default defineJob({
  name: 'video-kinesis',
  batchInterval: '1s',
  partitions: 4,
  build(ssc) {
    buildApp(ssc, ssc.kinesisStream({ streamName: STREAM, decoder: 'utf8' }));
  },
});
