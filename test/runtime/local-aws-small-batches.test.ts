import { resolve } from 'node:path';
import { type BatchInfo, ManualClock } from '../../src/engine';
import { startLocalAws } from '../../src/engine/runtime/local-aws';
import { waitFor } from '../engine/coordinator/helpers';

const JOB = resolve(__dirname, '../integration/fixtures/e2e-job.ts');
const SENTENCES = { module: resolve(__dirname, '../../examples/jobs/wordcount.ts'), name: 'sentence' };

describe('small batches on the embedded local AWS', () => {
  it('runs a batch predicted to be small in the coordinator, without invoking the task function', async () => {
    const clock = new ManualClock(0);
    const committed: BatchInfo[] = [];
    const aws = await startLocalAws({
      jobModule: JOB,
      workers: 1,
      shards: 1,
      clock,
      smallBatchRecords: 1_000_000,
      producer: { ratePerSecond: 200, generator: SENTENCES },
      onBatch: (info) => committed.push(info),
    });
    try {
      for (const batch of [1, 2]) {
        const before = aws.producer!.sent;
        await waitFor(() => aws.producer!.sent > before, 'the producer to put more records', 30_000);
        clock.advance(1000);
        await waitFor(() => committed.length === batch, `batch ${batch} to commit`, 30_000);
      }
    } finally {
      await aws.stop();
    }
    // The first batch's size is not known before its tasks read it, so it fans out.
    expect(committed[0].requests.lambdaInvokes).toBeGreaterThan(0);
    expect(committed[1].records).toBeGreaterThan(0);
    expect(committed[1].requests.lambdaInvokes).toBe(0);
  }, 90_000);
});
