/**
 * The jobs deployed with the Lambda functions, by name. Jobs are code: the bundler includes every job
 * listed here, the stage parameter `jobs` picks which of them run (serverless.jobs.js checks each name
 * against this list when packaging), and the coordinator's event names one of them. Add your own job
 * modules here. The example jobs read the stream SLUICE_STREAM names (the `stream` parameter).
 */

import kinesisWordcount from '../examples/jobs/kinesis-wordcount';
import trafficModel from '../examples/ml/kinesis-job';
import videoMonitoring from '../examples/video/kinesis-job';
import type { JobDefinition } from '../src/engine';

export const jobs: Record<string, JobDefinition> = {
  [kinesisWordcount.name]: kinesisWordcount,
  [trafficModel.name]: trafficModel,
  [videoMonitoring.name]: videoMonitoring,
};
