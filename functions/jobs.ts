/**
 * The jobs deployed with the Lambda functions, by name. Jobs are code: the bundler includes every job
 * listed here, and the coordinator's event names one of them. Add your own job modules here.
 */

import kinesisWordcount from '../examples/jobs/kinesis-wordcount';
import type { JobDefinition } from '../src/engine';

export const jobs: Record<string, JobDefinition> = {
  [kinesisWordcount.name]: kinesisWordcount,
};
