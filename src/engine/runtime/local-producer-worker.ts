/**
 * The local producer's thread: generates user records at a steady rate and puts them into Kinesis every
 * 100 ms in PutRecords calls within the API's limits, packed like the KPL's when asked. It runs off the
 * coordinator's event loop, as a real producer runs on other machines.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { kinesisClient } from '../io/aws-clients';
import { putAll, putRecordsCalls } from '../io/kinesis-admin';
import { RuntimeError } from './errors';
import { aggregatedEntries, plainEntries, type UserRecord } from './local-producer-records';

export interface ProducerThreadData {
  endpoint: string;
  streamName: string;
  ratePerSecond: number;
  /** A module exporting `name(index: number): string`, loaded in this thread. */
  generator: { module: string; name: string };
  aggregate: boolean;
}

/** What the thread tells its owner. */
export type ProducerThreadMessage =
  | { type: 'sent'; sent: number }
  | { type: 'failed'; message: string }
  | { type: 'stopped'; sent: number };

const FLUSH_MS = 100;
/** Distinct partition keys, so records spread over every shard. */
const PARTITION_KEYS = 64;

function loadGenerator(generator: ProducerThreadData['generator']): (index: number) => string {
  const loaded = (require(generator.module) as Record<string, unknown>)[generator.name];
  if (typeof loaded !== 'function') {
    throw new RuntimeError(`producer generator ${generator.name} is not a function in ${generator.module}`, {
      ...generator,
    });
  }
  return loaded as (index: number) => string;
}

async function produce(data: ProducerThreadData, port: NonNullable<typeof parentPort>): Promise<void> {
  const generate = loadGenerator(data.generator);
  const client = kinesisClient({ endpoint: data.endpoint });
  let stopped = false;
  port.on('message', (message: { type?: string }) => {
    if (message?.type === 'stop') stopped = true;
  });
  const started = Date.now();
  let sent = 0;
  try {
    while (!stopped) {
      const due = Math.floor(((Date.now() - started) / 1000) * data.ratePerSecond);
      const records: UserRecord[] = [];
      for (let index = sent; index < due; index++) {
        records.push({ partitionKey: `k${index % PARTITION_KEYS}`, data: Buffer.from(generate(index)) });
      }
      if (records.length > 0) {
        const entries = data.aggregate ? await aggregatedEntries(records) : plainEntries(records);
        for (const call of putRecordsCalls(entries)) await putAll(client, data.streamName, call);
        sent += records.length;
        port.postMessage({ type: 'sent', sent } satisfies ProducerThreadMessage);
      }
      await new Promise((resolve) => setTimeout(resolve, FLUSH_MS));
    }
  } finally {
    client.destroy();
  }
  port.postMessage({ type: 'stopped', sent } satisfies ProducerThreadMessage);
}

if (parentPort) {
  const port = parentPort;
  produce(workerData as ProducerThreadData, port).catch((error: unknown) => {
    port.postMessage({
      type: 'failed',
      message: error instanceof Error ? error.message : String(error),
    } satisfies ProducerThreadMessage);
  });
}
