import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  KinesisClient,
  ListShardsCommand,
  type Shard,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { startKinesalite as startKinesaliteServer } from '../../src/engine/runtime/emulators';

export interface LocalKinesis {
  endpoint: string;
  /** A client for this server; stop() destroys it. */
  client: KinesisClient;
  /** Another client, e.g. for a second source; stop() destroys it too. */
  newClient(): KinesisClient;
  stop(): Promise<void>;
}

/** Kinesalite in this process, in memory, on 127.0.0.1 and a free port (see runtime/emulators). */
export async function startKinesalite(): Promise<LocalKinesis> {
  const server = await startKinesaliteServer();
  const endpoint = server.endpoint;
  const clients: KinesisClient[] = [];
  const newClient = () => {
    const client = kinesaliteClient(endpoint);
    clients.push(client);
    return client;
  };
  return {
    endpoint,
    client: newClient(),
    newClient,
    async stop() {
      for (const client of clients) client.destroy();
      await server.stop();
    },
  };
}

/** HTTP/1.1 (kinesalite rejects the SDK's default HTTP/2), dummy credentials, no SDK retries. */
export function kinesaliteClient(endpoint: string): KinesisClient {
  return new KinesisClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    requestHandler: new NodeHttpHandler(),
    maxAttempts: 1,
  });
}

export async function createStream(client: KinesisClient, streamName: string, shardCount = 1): Promise<void> {
  await client.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: shardCount }));
  await waitUntilActive(client, streamName);
}

/** After CreateStream, SplitShard or MergeShards the stream is CREATING/UPDATING for a moment. */
export async function waitUntilActive(
  client: KinesisClient,
  streamName: string,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const out = await client.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    if (out.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    if (Date.now() > deadline)
      throw new Error(`Kinesis stream ${streamName} is not ACTIVE after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export async function listShards(client: KinesisClient, streamName: string): Promise<Shard[]> {
  const out = await client.send(new ListShardsCommand({ StreamName: streamName }));
  return out.Shards ?? [];
}
