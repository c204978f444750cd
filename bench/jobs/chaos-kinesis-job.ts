/** The chaos job reading Kinesis instead of a queue: same pipeline, same sink, so outputs compare. */
import { defineJob, StoreSink } from '../../src/engine';
import { chaosPipeline, type Row } from '../chaos';

export const CHAOS_STREAM = 'sluice-chaos-events';

export default defineJob({
  name: 'chaos',
  batchInterval: '1s',
  partitions: 3,
  build(ssc) {
    chaosPipeline(
      ssc.kinesisStream({ streamName: CHAOS_STREAM, decoder: 'utf8' }),
      new StoreSink<Row>('chaos'),
    );
  },
});
