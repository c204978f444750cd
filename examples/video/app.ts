import { resolve } from 'node:path';
import type { ExampleApp } from '../run-example';
import { DEFAULT_RATE } from './heartbeats';

export const app: ExampleApp = {
  title: 'video session monitoring: per CDN and city quality over 30 s windows, sessions, buffering alerts',
  job: resolve(__dirname, 'job.ts'),
  kinesisJob: resolve(__dirname, 'kinesis-job.ts'),
  generator: { module: resolve(__dirname, 'heartbeats.ts'), name: 'heartbeat' },
  ratePerSecond: DEFAULT_RATE,
};
