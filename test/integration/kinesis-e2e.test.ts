import { resolve } from 'node:path';
import { ListShardsCommand, SplitShardCommand } from '@aws-sdk/client-kinesis';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { type BatchInfo, ManualClock, type Pair, readManifest, type Store } from '../../src/engine';
import { kinesisClient } from '../../src/engine/io/aws-clients';
import { putAll } from '../../src/engine/io/kinesis-admin';
import { jobStore, storeFrom } from '../../src/engine/runtime/config';
import { LOCAL_TASK_FUNCTION, type LocalAws, startLocalAws } from '../../src/engine/runtime/local-aws';
import { kplAggregate } from '../support/kpl';
import { STREAM, seen, windowCounts } from './fixtures/e2e-job';

const JOB = resolve(__dirname, 'fixtures/e2e-job.ts');

describe('Kinesis to sink through the SDK adapters (kinesalite, s3rver, local Lambda)', () => {
  let aws: LocalAws;
  let store: Store;
  const clock = new ManualClock(0);
  const committed: BatchInfo[] = [];
  let waiting: (() => void) | undefined;
  const kinesis = () => kinesisClient({ endpoint: aws.env.AWS_ENDPOINT_URL_KINESIS });

  /** Moves the clock to the next batch and waits for the coordinator to commit it. */
  async function runBatch(): Promise<BatchInfo> {
    const before = committed.length;
    const done = new Promise<void>((resolve) => {
      waiting = resolve;
    });
    clock.advance(1000);
    // A failed batch ends the coordinator: surface its error instead of waiting for the timeout.
    await Promise.race([
      done,
      aws.coordinator!.done.then(() => Promise.reject(new Error('coordinator stopped'))),
    ]);
    expect(committed.length).toBe(before + 1);
    return committed[before];
  }

  async function put(records: string[]): Promise<void> {
    await putAll(
      kinesis(),
      STREAM,
      records.map((r, i) => ({ Data: Buffer.from(r), PartitionKey: `p${i}-${r}` })),
    );
  }

  beforeAll(async () => {
    aws = await startLocalAws({
      jobModule: JOB,
      workers: 2,
      shards: 2,
      clock,
      onBatch: (info) => {
        committed.push(info);
        waiting?.();
      },
    });
    store = jobStore(storeFrom(aws.env.SLUICE_STORE, aws.env.AWS_ENDPOINT_URL_S3), 'e2e');
  }, 60_000);

  afterAll(async () => {
    await aws?.stop();
  });

  it('delivers plain, KPL-aggregated and post-split records to the sink exactly once', async () => {
    const plain = Array.from({ length: 300 }, (_, i) => `plain-${i}`);
    await put(plain);
    await runBatch();

    const aggregated = Array.from({ length: 120 }, (_, i) => `agg-${i}`);
    const blobs = await kplAggregate(
      aggregated.map((data, i) => ({ partitionKey: `agg-${i}`, data: Buffer.from(data) })),
    );
    await putAll(
      kinesis(),
      STREAM,
      blobs.map((data, i) => ({ Data: data, PartitionKey: `blob-${i}` })),
    );
    await put(['between-1', 'between-2']);
    await runBatch();

    // Split a shard in the middle of the run: parent records first, then the children's.
    const shards = (await kinesis().send(new ListShardsCommand({ StreamName: STREAM }))).Shards ?? [];
    const parent = shards[0];
    const start = BigInt(parent.HashKeyRange!.StartingHashKey!);
    const end = BigInt(parent.HashKeyRange!.EndingHashKey!);
    await put(Array.from({ length: 50 }, (_, i) => `before-split-${i}`));
    await kinesis().send(
      new SplitShardCommand({
        StreamName: STREAM,
        ShardToSplit: parent.ShardId!,
        NewStartingHashKey: String((start + end) / 2n),
      }),
    );
    const afterSplit = Array.from({ length: 200 }, (_, i) => `after-split-${i}`);
    await put(afterSplit);
    for (let i = 0; i < 4; i++) await runBatch();

    const expected = [
      ...plain,
      ...aggregated,
      'between-1',
      'between-2',
      ...Array.from({ length: 50 }, (_, i) => `before-split-${i}`),
      ...afterSplit,
    ].sort();
    const batches = await seen.committedBatches(store);
    const rows = (await Promise.all(batches.map((t) => seen.readBatch(store, t)))).flat() as Pair<
      string,
      number
    >[];
    // Each record once per batch, and in exactly one batch.
    expect(rows.every(([, count]) => count === 1)).toBe(true);
    expect(rows.map(([record]) => record).sort()).toEqual(expected);

    const manifest = await readManifest(store, batches[0]);
    expect(manifest?.inputs[0].ranges.reduce((sum, r) => sum + r.count, 0)).toBe(300);
    expect(manifest?.stages.every((s) => s.location === 'tasks')).toBe(true);
  });

  it('recomputes a batch whose cached slices were deleted from S3 by re-reading its committed Kinesis range', async () => {
    await put(Array.from({ length: 40 }, (_, i) => `replayed-${i}`));
    const first = await runBatch();
    // Tasks read Kinesis themselves: no input block is ever stored.
    const prefix = `batches/${String(first.batchTime).padStart(15, '0')}/`;
    const stored = await store.list(prefix);
    expect(stored.some((e) => e.key.includes('/input/'))).toBe(false);
    // Lose every cached slice of that batch: the next window must re-read it from Kinesis.
    await store.delete(stored.filter((e) => e.key.includes('/stored/')).map((e) => e.key));
    await put(['fresh-1', 'fresh-2']);
    windowCounts.length = 0;
    await runBatch();
    // The 2 s window spans the replayed batch (40 records) and the new one (2).
    expect(windowCounts).toEqual([[42]]);
    expect((await store.list(prefix)).some((e) => e.key.includes('/input/'))).toBe(false);
  });

  it('answers a malformed task description sent to the task function with an error naming the field', async () => {
    const client = new LambdaClient({
      endpoint: aws.env.AWS_ENDPOINT_URL_LAMBDA,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      requestHandler: new NodeHttpHandler(),
    });
    const response = await client.send(
      new InvokeCommand({
        FunctionName: LOCAL_TASK_FUNCTION,
        Payload: Buffer.from(JSON.stringify({ v: 1, job: 'e2e', kind: 'result', node: 'x', partition: -1 })),
      }),
    );
    client.destroy();
    expect(response.FunctionError).toBe('Unhandled');
    const body = JSON.parse(Buffer.from(response.Payload!).toString('utf8'));
    expect(body.errorMessage).toMatch(/field 'zeroTime'/);
    expect(body.errorMessage).toMatch(/field 'partition'/);
  });
});
