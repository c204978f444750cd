/** The meters at the ports: store operations as S3 requests, task invocations as Lambda bills them, Kinesis calls. */
import { ManualClock, MemoryStore } from '../../src/engine';
import { KinesisCalls, type KinesisSender } from '../../src/engine/io/kinesis/calls';
import {
  lambdaGbSeconds,
  MeteredInvoker,
  MeteredStore,
  meteredStore,
  meteredTask,
  noRequests,
  type RequestCounts,
  RequestMeter,
  withMeter,
} from '../../src/engine/io/metering';
import type { InvokeOptions, Invoker } from '../../src/engine/io/ports';
import { retryPolicy } from '../../src/engine/io/retry';

const bytes = new Uint8Array([1, 2, 3]);

/** Answers each invocation with the given duration, or fails after starting. */
class ScriptedInvoker
  implements
    Invoker<{ durationMs?: number; fail?: boolean }, { durationMs?: number; requests?: RequestCounts }>
{
  readonly parallelism = 1;
  constructor(private readonly requests?: RequestCounts) {}
  async invoke(request: { durationMs?: number; fail?: boolean }, options?: InvokeOptions) {
    options?.onStart?.();
    if (request.fail) throw new Error('task failed');
    return { durationMs: request.durationMs, requests: this.requests };
  }
  async close() {}
}

describe('MeteredStore', () => {
  it('counts each operation as the S3 requests S3Store sends for it', async () => {
    const meter = new RequestMeter();
    const store = new MeteredStore(new MemoryStore());
    await withMeter(meter, async () => {
      await store.put('a', bytes);
      await store.putIf('b', bytes, { ifAbsent: true });
      await store.get('a');
      await store.getVersioned('a');
      await store.getRange('a', 0, 2);
      // An empty range can only be asked as "does it exist": a HEAD.
      await store.getRange('a', 1, 1);
      await store.has('a');
      await store.list('');
    });
    expect(meter.peek()).toMatchObject({ s3Put: 2, s3Get: 3, s3Head: 2, s3List: 1, s3Delete: 0 });
  });

  it('counts listings per page of 1,000 keys and deletes per request of 1,000 keys', async () => {
    const inner = new MemoryStore();
    await Promise.all(Array.from({ length: 2001 }, (_, i) => inner.put(`k/${i}`, bytes)));
    const meter = new RequestMeter();
    const store = meteredStore(inner);
    await withMeter(meter, async () => {
      await store.list('k/');
      await store.list('none/');
      await store.delete(Array.from({ length: 2500 }, (_, i) => `k/${i}`));
      await store.delete([]);
    });
    expect(meter.peek()).toMatchObject({ s3List: 3 + 1, s3Delete: 3 });
  });

  it('counts nothing outside a meter scope, and is not wrapped twice', async () => {
    const store = meteredStore(new MemoryStore());
    await store.put('a', bytes);
    expect(meteredStore(store)).toBe(store);
  });
});

describe('MeteredInvoker', () => {
  it('bills each invocation its duration rounded up to 1 ms times the memory', async () => {
    const meter = new RequestMeter();
    const invoker = new MeteredInvoker(new ScriptedInvoker(), 1024);
    await withMeter(meter, async () => {
      await invoker.invoke({ durationMs: 12.3 });
      await invoker.invoke({ durationMs: 0.2 });
      await invoker.invoke({ durationMs: 100 });
    });
    const counts = meter.peek();
    expect(counts).toMatchObject({ lambdaInvokes: 3, lambdaBilledMs: 13 + 1 + 100 });
    expect(counts.lambdaMbMs).toBe(114 * 1024);
    // 114 ms at 1 GB.
    expect(lambdaGbSeconds(counts)).toBeCloseTo(0.114, 12);
  });

  it('adds the requests the task reports, and bills failed invocations too', async () => {
    const meter = new RequestMeter();
    const reported = { ...noRequests(), s3Put: 2, s3Get: 5 };
    const invoker = new MeteredInvoker(new ScriptedInvoker(reported));
    await withMeter(meter, async () => {
      await invoker.invoke({ durationMs: 5 });
      await expect(invoker.invoke({ fail: true })).rejects.toThrow('task failed');
    });
    expect(meter.peek()).toMatchObject({ s3Put: 2, s3Get: 5, lambdaInvokes: 2 });
    expect(meter.peek().lambdaMbMs).toBe(meter.peek().lambdaBilledMs * 1769);
  });
});

describe('task meter scopes', () => {
  it('keep a task’s requests out of the scope around it and report them in the result', async () => {
    const outer = new RequestMeter();
    const store = meteredStore(new MemoryStore());
    const result = await withMeter(outer, async () => {
      await store.put('coordinator', bytes);
      return meteredTask(async () => {
        await store.put('task', bytes);
        await store.get('task');
        return { rows: 1 } as { rows: number; requests?: RequestCounts };
      });
    });
    expect(outer.peek()).toMatchObject({ s3Put: 1, s3Get: 0 });
    expect(result.requests).toMatchObject({ s3Put: 1, s3Get: 1 });
  });
});

describe('Kinesis calls', () => {
  it('count every call sent, by operation', async () => {
    const sender: KinesisSender = {
      send: (async (command: { constructor: { name: string } }) => {
        switch (command.constructor.name) {
          case 'ListShardsCommand':
            return { Shards: [{ ShardId: 's-0' }] };
          case 'DescribeStreamSummaryCommand':
            return { StreamDescriptionSummary: { RetentionPeriodHours: 24 } };
          case 'GetShardIteratorCommand':
            return { ShardIterator: 'it' };
          default:
            return { Records: [], NextShardIterator: 'it' };
        }
      }) as KinesisSender['send'],
    };
    const clock = new ManualClock(0, { autoAdvance: true });
    const calls = new KinesisCalls('events', sender, retryPolicy({ maxAttempts: 1, clock }), clock);
    const meter = new RequestMeter();
    await withMeter(meter, async () => {
      await calls.listShards();
      await calls.retentionMs();
      const iterator = await calls.shardIterator('s-0', { kind: 'type', type: 'TRIM_HORIZON' });
      await calls.getRecords('s-0', iterator!, 100);
      await calls.getRecords('s-0', iterator!, 100);
    });
    expect(meter.peek()).toMatchObject({
      kinesisListShards: 1,
      kinesisOther: 1,
      kinesisGetShardIterator: 1,
      kinesisGetRecords: 2,
    });
  });
});
