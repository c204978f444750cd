import { resolve } from 'node:path';
import type { ExampleApp } from '../run-example';
import { DEFAULT_RATE } from './job';

export const app: ExampleApp = {
  title: 'online EM travel-time model per road segment from a GPS feed, its quality every interval',
  job: resolve(__dirname, 'job.ts'),
  kinesisJob: resolve(__dirname, 'kinesis-job.ts'),
  generator: { module: resolve(__dirname, 'gps-generator.ts'), name: 'gpsRecord' },
  ratePerSecond: DEFAULT_RATE,
};
