import {
  ManualClock,
  MemoryStore,
  type Pair,
  StreamingContext,
  type StreamingListener,
} from '../../../src/engine';
import { StoreError } from '../../../src/engine/io/errors';
import { ListenerBus } from '../../../src/engine/schedule';

/** Records every event a listener gets, as `<event> <batch time>`. */
function recorder() {
  const events: string[] = [];
  const listener: StreamingListener = {
    onStreamingStarted: (e) => events.push(`started ${e.nextBatchTime}`),
    onBatchSubmitted: (e) => events.push(`submitted ${e.batchTime}`),
    onStageCompleted: (e) => events.push(`stage ${e.batchTime} ${e.stage.kind}`),
    onBatchCompleted: (e) => events.push(`completed ${e.info.batchTime}`),
    onBatchFailed: (e) => events.push(`failed ${e.batchTime}${e.retryInMs === undefined ? '' : ' retrying'}`),
    onTaskFailed: (e) =>
      events.push(
        `task-failed ${e.batchTime} p${e.partition} a${e.attempt}${e.willRetry ? ' retrying' : ''}`,
      ),
    onStreamingStopped: (e) => events.push(`stopped ${e.reason}`),
  };
  return { events, listener };
}

function wordCount(inputs: string[][], map: (w: string) => Pair<string, number> = (w) => [w, 1]) {
  const ssc = new StreamingContext({ batchInterval: '1s', partitions: 2, name: 'watched' });
  ssc
    .queueStream(inputs)
    .map(map)
    .reduceByKey((a, b) => a + b)
    .foreachBatch(async (rdd) => {
      await rdd.collect();
    });
  return ssc;
}

/** A store whose puts of batch data fail like S3 under load (503 SlowDown), `failing` times. */
class ThrottledStore extends MemoryStore {
  constructor(private failing: number) {
    super();
  }

  override async put(key: string, body: Uint8Array): Promise<void> {
    if (this.failing > 0 && key.startsWith('batches/')) {
      this.failing--;
      const cause = Object.assign(new Error('Please reduce your request rate.'), {
        name: 'SlowDown',
        $metadata: { httpStatusCode: 503 },
      });
      throw new StoreError(`put of ${key} failed: SlowDown`, { key }, { cause });
    }
    return super.put(key, body);
  }
}

async function run(
  ssc: StreamingContext,
  batches: number,
  options: { store?: MemoryStore; batchRetries?: number } = {},
) {
  ssc.start({
    clock: new ManualClock(0, { autoAdvance: true }),
    zeroTime: 0,
    batches,
    store: options.store ?? new MemoryStore(),
    retry: { backoffMs: 0 },
    batchRetryBackoffMs: 1,
    ...(options.batchRetries === undefined ? {} : { batchRetries: options.batchRetries }),
  });
  await ssc.awaitTermination().catch(() => undefined);
}

describe('the listener bus', () => {
  it('posts start, each batch submitted, its stages and its completion, then the stop, in order', async () => {
    const ssc = wordCount([['a', 'b'], ['a']]);
    const { events, listener } = recorder();
    ssc.addStreamingListener(listener);
    await run(ssc, 2);
    expect(events).toEqual([
      'started 1000',
      'submitted 1000',
      'stage 1000 shuffleMap',
      'stage 1000 result',
      'completed 1000',
      'submitted 2000',
      'stage 2000 shuffleMap',
      'stage 2000 result',
      'completed 2000',
      'stopped done',
    ]);
  });

  it('hands each completed batch its committed manifest', async () => {
    const ssc = wordCount([['a', 'b', 'c']]);
    const completed: { records: number; status: string; stages: number }[] = [];
    ssc.addStreamingListener({
      onBatchCompleted: ({ info, manifest }) =>
        completed.push({ records: info.records, status: manifest.status, stages: manifest.stages.length }),
    });
    await run(ssc, 1);
    expect(completed).toEqual([{ records: 3, status: 'committed', stages: 2 }]);
  });

  it('posts each failed task attempt, saying whether it will be retried', async () => {
    let failures = 1;
    const ssc = wordCount([['a', 'b']], (w) => {
      if (w === 'b' && failures-- > 0) throw new Error('flaky');
      return [w, 1];
    });
    const { events, listener } = recorder();
    ssc.addStreamingListener(listener);
    await run(ssc, 1);
    const taskFailures = events.filter((e) => e.startsWith('task-failed'));
    expect(taskFailures).toHaveLength(1);
    expect(taskFailures[0]).toMatch(/^task-failed 1000 p\d a0 retrying$/);
    expect(events).toContain('completed 1000');
  });

  it('posts a batch failure that will be retried, then the batch completing', async () => {
    // Input blocks are written by the coordinator itself: a throttled write fails the whole attempt.
    const store = new ThrottledStore(1);
    const ssc = wordCount([['a', 'b', 'a']]);
    const { events, listener } = recorder();
    ssc.addStreamingListener(listener);
    await run(ssc, 1, { store });
    expect(events.filter((e) => /^(failed|completed|stopped)/.test(e))).toEqual([
      'failed 1000 retrying',
      'completed 1000',
      'stopped done',
    ]);
  });

  it('posts the last failure without a retry, then the stop with its error', async () => {
    const store = new ThrottledStore(100);
    const ssc = wordCount([['a']]);
    const { events, listener } = recorder();
    const stops: (Error | undefined)[] = [];
    ssc.addStreamingListener(listener);
    ssc.addStreamingListener({ onStreamingStopped: (e) => stops.push(e.error) });
    await run(ssc, 1, { store, batchRetries: 1 });
    expect(events.filter((e) => /^(failed|completed|stopped)/.test(e))).toEqual([
      'failed 1000 retrying',
      'failed 1000',
      'stopped failed',
    ]);
    expect(stops[0]?.message).toMatch(/batch 1000/);
  });

  it('keeps running batches when a listener throws, and reports the listener', async () => {
    const reported: string[] = [];
    const bus = new ListenerBus((event, error) => reported.push(`${event}: ${(error as Error).message}`));
    const seen: number[] = [];
    bus.add({
      onBatchSubmitted: () => {
        throw new Error('listener bug');
      },
    });
    bus.add({ onBatchSubmitted: (e) => seen.push(e.batchTime) });
    bus.post('onBatchSubmitted', { batchTime: 5, inputs: [] });
    expect(seen).toEqual([5]);
    expect(reported).toEqual(['onBatchSubmitted: listener bug']);

    const ssc = wordCount([['a'], ['b']]);
    const completed: number[] = [];
    ssc.addStreamingListener({
      onBatchCompleted: () => {
        throw new Error('dashboard down');
      },
    });
    ssc.addStreamingListener({ onBatchCompleted: (e) => completed.push(e.info.batchTime) });
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await run(ssc, 2);
    } finally {
      stderr.mockRestore();
    }
    expect(completed).toEqual([1000, 2000]);
  });

  it('lets a listener stop listening', () => {
    const bus = new ListenerBus();
    const seen: number[] = [];
    const remove = bus.add({ onBatchSubmitted: (e) => seen.push(e.batchTime) });
    bus.post('onBatchSubmitted', { batchTime: 1, inputs: [] });
    remove();
    bus.post('onBatchSubmitted', { batchTime: 2, inputs: [] });
    expect(seen).toEqual([1]);
  });
});
