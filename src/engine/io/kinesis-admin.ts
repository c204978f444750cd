import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  PutRecordsCommand,
  type PutRecordsRequestEntry,
  type PutRecordsResultEntry,
} from '@aws-sdk/client-kinesis';
import { describeAwsError, isRetryableAwsError } from './aws-errors';
import { SourceError } from './errors';
import type { KinesisSender } from './kinesis/calls';
import type { Clock } from './ports';
import { type RetryOptions, type RetryPolicy, retryPolicy, sleep, withRetry } from './retry';

/** Retries of admin and producer calls (throttling, transient failures); waits go through `clock`. */
export interface KinesisAdminOptions {
  retry?: Partial<RetryOptions>;
  clock?: Clock;
}

const ADMIN_RETRY: RetryOptions = { maxAttempts: 11, baseMs: 50, maxMs: 5000 };

function policy(options: KinesisAdminOptions = {}): RetryPolicy {
  return retryPolicy({ ...options.retry, clock: options.clock }, ADMIN_RETRY);
}

function call<R>(retry: RetryPolicy, what: string, streamName: string, run: () => Promise<R>): Promise<R> {
  return withRetry(retry, run, {
    giveUp: ({ error, attempts }) =>
      new SourceError(
        `${what} on Kinesis stream "${streamName}" failed after ${attempts} attempt(s): ${describeAwsError(error)}`,
        { streamName, operation: what, attempts },
        { cause: error },
      ),
  });
}

/** Creates the stream unless it exists, and waits until it is ACTIVE. */
export async function ensureStream(
  client: KinesisSender,
  streamName: string,
  shards: number,
  options: KinesisAdminOptions = {},
): Promise<void> {
  const retry = policy(options);
  try {
    await withRetry(retry, () =>
      client.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: shards })),
    );
  } catch (error) {
    if ((error as { name?: string }).name !== 'ResourceInUseException') throw error;
  }
  for (let attempt = 0; attempt < 100; attempt++) {
    const summary = await call(retry, 'DescribeStreamSummary', streamName, () =>
      client.send(new DescribeStreamSummaryCommand({ StreamName: streamName })),
    );
    if (summary.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    await sleep(retry.clock, 50);
  }
  throw new SourceError(`stream ${streamName} did not become ACTIVE`, { streamName });
}

/** PutRecords' limits per call: 500 entries, 5 MiB of data and partition keys together. */
const PUT_RECORDS_MAX_ENTRIES = 500;
export const PUT_RECORDS_MAX_BYTES = 5 * 1024 * 1024;

/** Entries in calls within PutRecords' limits, in order. */
export function putRecordsCalls<E extends Pick<PutRecordsRequestEntry, 'Data' | 'PartitionKey'>>(
  entries: readonly E[],
): E[][] {
  const calls: E[][] = [];
  let call: E[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = (entry.Data?.byteLength ?? 0) + Buffer.byteLength(entry.PartitionKey ?? '');
    if (
      call.length > 0 &&
      (call.length === PUT_RECORDS_MAX_ENTRIES || bytes + size > PUT_RECORDS_MAX_BYTES)
    ) {
      calls.push(call);
      call = [];
      bytes = 0;
    }
    call.push(entry);
    bytes += size;
  }
  if (call.length > 0) calls.push(call);
  return calls;
}

/**
 * PutRecords in calls within the API's limits (500 entries, 5 MiB), resending only the entries Kinesis rejected (a partial
 * failure, usually ProvisionedThroughputExceededException) with backoff; a throttled or failed call as a
 * whole is retried the same way.
 */
export async function putAll(
  client: KinesisSender,
  streamName: string,
  entries: PutRecordsRequestEntry[],
  options: KinesisAdminOptions = {},
): Promise<void> {
  const retry = policy(options);
  for (const call of putRecordsCalls(entries)) {
    let pending = call;
    let rejected: PutRecordsResultEntry | undefined;
    await withRetry(
      retry,
      async () => {
        const result = await client.send(new PutRecordsCommand({ StreamName: streamName, Records: pending }));
        const failed = pending.filter((_, i) => result.Records?.[i]?.ErrorCode);
        rejected = result.Records?.find((r) => r.ErrorCode);
        pending = failed;
        if (failed.length > 0) throw new PartialFailure(failed.length, rejected);
      },
      {
        retryable: (error) => error instanceof PartialFailure || isRetryableAwsError(error),
        giveUp: ({ error, attempts }) =>
          new SourceError(
            `PutRecords to ${streamName} kept failing: ${pending.length} record(s) still rejected after ${attempts} attempt(s) (${
              error instanceof PartialFailure
                ? `${rejected?.ErrorCode}: ${rejected?.ErrorMessage}`
                : describeAwsError(error)
            })`,
            { streamName, attempts, pending: pending.length },
            { cause: error },
          ),
      },
    );
  }
}

class PartialFailure extends Error {
  constructor(
    readonly failed: number,
    readonly sample: PutRecordsResultEntry | undefined,
  ) {
    super(`${failed} record(s) rejected: ${sample?.ErrorCode ?? 'unknown'}`);
  }
}

export interface Producer {
  /** Records put so far. */
  readonly sent: number;
  stop(): Promise<void>;
}

/** Puts `generate(i)` for i = 0, 1, 2 ... at about `ratePerSecond`, in PutRecords calls every 100 ms. */
export function startProducer(
  client: KinesisSender,
  streamName: string,
  ratePerSecond: number,
  generate: (index: number) => string,
): Producer {
  const started = Date.now();
  let sent = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const due = Math.floor(((Date.now() - started) / 1000) * ratePerSecond);
      const entries: PutRecordsRequestEntry[] = [];
      for (; sent + entries.length < due; ) {
        const index = sent + entries.length;
        entries.push({ Data: new TextEncoder().encode(generate(index)), PartitionKey: `k${index % 64}` });
      }
      if (entries.length > 0) {
        await putAll(client, streamName, entries);
        sent += entries.length;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return {
    get sent() {
      return sent;
    },
    async stop() {
      stopped = true;
      await loop;
    },
  };
}
