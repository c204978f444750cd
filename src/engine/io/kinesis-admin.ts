import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  type KinesisClient,
  PutRecordsCommand,
  type PutRecordsRequestEntry,
} from '@aws-sdk/client-kinesis';
import { SourceError } from './errors';

/** Creates the stream unless it exists, and waits until it is ACTIVE. */
export async function ensureStream(client: KinesisClient, streamName: string, shards: number): Promise<void> {
  try {
    await client.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: shards }));
  } catch (error) {
    if ((error as { name?: string }).name !== 'ResourceInUseException') throw error;
  }
  for (let attempt = 0; attempt < 100; attempt++) {
    const summary = await client.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    if (summary.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new SourceError(`stream ${streamName} did not become ACTIVE`, { streamName });
}

/** PutRecords in chunks of 500 (the API's limit), resending only the entries Kinesis rejected. */
export async function putAll(
  client: KinesisClient,
  streamName: string,
  entries: PutRecordsRequestEntry[],
): Promise<void> {
  for (let start = 0; start < entries.length; start += 500) {
    let pending = entries.slice(start, start + 500);
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 10) throw new SourceError(`PutRecords to ${streamName} kept failing`, { streamName });
      const result = await client.send(new PutRecordsCommand({ StreamName: streamName, Records: pending }));
      pending = pending.filter((_, i) => result.Records?.[i]?.ErrorCode);
      if (pending.length > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
    }
  }
}

export interface Producer {
  /** Records put so far. */
  readonly sent: number;
  stop(): Promise<void>;
}

/** Puts `generate(i)` for i = 0, 1, 2 ... at about `ratePerSecond`, in PutRecords calls every 100 ms. */
export function startProducer(
  client: KinesisClient,
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
