/**
 * The chaos job reading Kinesis instead of a queue: same pipeline, same sink, so outputs compare. A
 * chaos run in this process may wrap the coordinator's Kinesis client with faults (throttling, empty
 * pages); the read budget is long so those delay records within their batch instead of moving them to
 * the next one, which would make batches differ from the reference for reasons that are not faults.
 */
import { defineJob, StoreSink } from '../../src/engine';
import { kinesisClient } from '../../src/engine/io/aws-clients';
import { chaosKinesisClient } from '../chaos/aws-helpers';
import { chaosPipeline, type Row } from '../chaos/pipeline';

export const CHAOS_STREAM = 'sluice-chaos-events';

export default defineJob({
  name: 'chaos',
  batchInterval: '1s',
  partitions: 3,
  build(ssc) {
    const client = kinesisClient({
      endpoint: process.env.AWS_ENDPOINT_URL_KINESIS ?? process.env.AWS_ENDPOINT_URL,
    });
    chaosPipeline(
      ssc.kinesisStream({
        streamName: CHAOS_STREAM,
        decoder: 'utf8',
        readBudgetMs: 10_000,
        client: chaosKinesisClient(client),
      }),
      new StoreSink<Row>('chaos'),
    );
  },
});
