import { resolve } from 'node:path';
import type { ExampleApp } from '../run-example';
import { DEFAULT_RATE } from './job';

export const app: ExampleApp = {
  title:
    'API events: trending endpoints over a sliding window, 5xx alerts per service naming the owning team',
  job: resolve(__dirname, 'job.ts'),
  kinesisJob: resolve(__dirname, 'kinesis-job.ts'),
  generator: { module: resolve(__dirname, 'api-traffic.ts'), name: 'apiEvent' },
  ratePerSecond: DEFAULT_RATE,
};
