import { resolve } from 'node:path';
import { type BatchInfo, ManualClock } from '../../src/engine';
import { startLocalAws } from '../../src/engine/runtime/local-aws';
import { waitFor } from '../engine/coordinator/helpers';

const JOB = resolve(__dirname, '../integration/fixtures/e2e-job.ts');
const SENTENCES = { module: resolve(__dirname, '../../examples/jobs/wordcount.ts'), name: 'sentence' };

describe('stopping the embedded local AWS', () => {
  it('lets the batch in progress commit before the task functions and emulators stop, even when stopped twice at once', async () => {
    const clock = new ManualClock(0);
    const committed: BatchInfo[] = [];
    let started!: () => void;
    const batchStarted = new Promise<void>((res) => {
      started = res;
    });
    const aws = await startLocalAws({
      jobModule: JOB,
      workers: 1,
      shards: 1,
      clock,
      producer: { ratePerSecond: 200, generator: SENTENCES },
      onBatch: (info) => committed.push(info),
      coordinator: false,
    });
    // Tasks take a while, so the batch is surely in flight while everything is told to stop.
    const coordinator = await aws.startCoordinator({
      wrapInvoker: (invoker) => ({
        parallelism: invoker.parallelism,
        close: () => invoker.close(),
        async invoke(request, options) {
          started();
          await new Promise((res) => setTimeout(res, 300));
          return invoker.invoke(request, options);
        },
      }),
    });
    // Records in the stream first, so the batch has tasks to run through the local Lambda.
    await waitFor(() => aws.producer!.sent > 0, 'the producer thread to put records', 30_000);
    clock.advance(1000);
    await batchStarted;

    // The demo does this: its timer stops the local AWS while the finished coordinator stops it too.
    await Promise.all([aws.stop(), aws.stop(), coordinator.done.finally(() => aws.stop())]);

    await expect(coordinator.done).resolves.toBeUndefined();
    expect(committed.map((b) => b.batchTime)).toEqual([1000]);
    expect(committed[0].records).toBeGreaterThan(0);
    expect(aws.producer!.sent).toBeGreaterThan(0);
    // Stopped for good: no coordinator starts on stopped emulators.
    await expect(aws.startCoordinator()).rejects.toThrow(/stopping/);
  }, 60_000);
});
