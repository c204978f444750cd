/**
 * Every batch carries its AWS requests by kind (BatchInfo.requests and the committed manifest), counted at
 * the ports: store operations as the S3 requests S3Store sends, task invocations as Lambda bills them.
 */
import { ManualClock, MemoryStore } from '../../../src/engine';
import { jobStoreIn, readManifest } from '../../../src/engine/catalog';
import { runTask, type TaskResult, type TaskSpec } from '../../../src/engine/exec';
import { InProcessInvoker } from '../../../src/engine/io/in-process-invoker';
import { noRequests, type RequestCounts } from '../../../src/engine/io/metering';
import type { InvokeOptions, Invoker, Store, WriteCondition } from '../../../src/engine/io/ports';
import type { BatchInfo } from '../../../src/engine/schedule';
import { CountingStore, LogSource, type Op, wordCount } from '../../support/log-source';

/** The S3 request each store operation of the counting store becomes (listings here are under 1,000 keys). */
const S3_KIND: Record<Op, keyof RequestCounts> = {
  put: 's3Put',
  putIf: 's3Put',
  get: 's3Get',
  getVersioned: 's3Get',
  getRange: 's3Get',
  has: 's3Head',
  delete: 's3Delete',
  list: 's3List',
};

/** Remembers how many store operations had been made when each batch's commit was written. */
class CommitWatcher extends CountingStore {
  readonly atCommit: number[] = [];
  override async putIf(key: string, body: Uint8Array, condition: WriteCondition): Promise<string> {
    const version = await super.putIf(key, body, condition);
    const committed = key.startsWith('manifests/') && new TextDecoder().decode(body).includes('"committed"');
    if (committed) this.atCommit.push(this.calls.length);
    return version;
  }
}

/** Counts the invocations that reach the task runner. */
class CountingInvoker implements Invoker<TaskSpec, TaskResult> {
  invocations = 0;
  constructor(private readonly inner: Invoker<TaskSpec, TaskResult>) {}
  get parallelism() {
    return this.inner.parallelism;
  }
  invoke(spec: TaskSpec, options?: InvokeOptions) {
    this.invocations++;
    return this.inner.invoke(spec, options);
  }
  close() {
    return this.inner.close();
  }
}

function s3CountsOf(calls: readonly { op: Op }[]): Partial<RequestCounts> {
  const counts: Partial<RequestCounts> = {};
  for (const { op } of calls) counts[S3_KIND[op]] = (counts[S3_KIND[op]] ?? 0) + 1;
  return counts;
}

function s3Part(counts: RequestCounts): Partial<RequestCounts> {
  const { s3Put, s3Get, s3Head, s3List, s3Delete } = counts;
  return Object.fromEntries(
    Object.entries({ s3Put, s3Get, s3Head, s3List, s3Delete }).filter(([, n]) => n > 0),
  );
}

async function runWordCount(batches: number) {
  const store = new CommitWatcher(jobStoreIn(new MemoryStore(), 'review'));
  const source = new LogSource();
  const job = wordCount(source);
  const invoker = new CountingInvoker(
    new InProcessInvoker<TaskSpec, TaskResult>(
      (spec) => runTask(spec, { store, graphFor: () => job.ssc.graph }),
      2,
    ),
  );
  const infos: BatchInfo[] = [];
  const invocationsAtCommit: number[] = [];
  job.ssc.start({
    store,
    invoker,
    clock: new ManualClock(0, { autoAdvance: true }),
    zeroTime: 0,
    batches,
    owner: 'only',
    // Backup copies finishing after their batch would move requests to the next batch.
    speculation: { enabled: false },
    onBatch: (info) => {
      infos.push(info);
      invocationsAtCommit.push(invoker.invocations);
      source.records.push(`w${infos.length % 7}`, `w${infos.length % 5}`, 'x');
    },
  });
  await job.ssc.awaitTermination();
  return { store, infos, invocationsAtCommit };
}

describe('request counts per batch', () => {
  it('equal the store operations made between commits, task operations counted once', async () => {
    const { store, infos } = await runWordCount(12);
    expect(infos).toHaveLength(12);
    const bounds = [0, ...store.atCommit];
    infos.forEach((info, i) => {
      const made = store.calls.slice(bounds[i], bounds[i + 1]);
      expect(s3Part(info.requests)).toEqual(s3CountsOf(made));
    });
    // Tasks write shuffle files and sink parts: their requests are in the batch, once.
    const steady = infos[6].requests;
    expect(steady.s3Put).toBeGreaterThan(2);
  });

  it('count one Lambda invocation per task invoked, with its billed duration and memory', async () => {
    const { infos, invocationsAtCommit } = await runWordCount(6);
    infos.forEach((info, i) => {
      const invoked = invocationsAtCommit[i] - (i === 0 ? 0 : invocationsAtCommit[i - 1]);
      expect(info.requests.lambdaInvokes).toBe(invoked);
      expect(info.requests.lambdaBilledMs).toBeGreaterThanOrEqual(invoked);
      // The task function's default memory, as in serverless.yml.
      expect(info.requests.lambdaMbMs).toBe(info.requests.lambdaBilledMs * 1769);
    });
    expect(infos[3].requests.lambdaInvokes).toBeGreaterThan(0);
  });

  it('are recorded in the committed manifest as in the batch info', async () => {
    const { store, infos } = await runWordCount(4);
    for (const info of infos) {
      const manifest = await readManifest(store as Store, info.batchTime);
      expect(manifest?.requests).toEqual(info.requests);
    }
    expect(infos[0].requests).not.toEqual(noRequests());
  });
});
