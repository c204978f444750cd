import { type KinesisClient, PutRecordsCommand, type PutRecordsResultEntry } from '@aws-sdk/client-kinesis';
import type { KinesisSource } from '../../src/engine/io/kinesis-source';
import type { SourceBatch, SourceInterval, SourceRange } from '../../src/engine/io/ports';
import { createStream, type LocalKinesis, startKinesalite } from './kinesalite';

/** UTF-8 bytes of a string, as a record's Data. */
export const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Batch `batchIndex` of a 1 s interval: batch time (batchIndex + 1) s. */
export function interval(batchIndex: number): SourceInterval {
  return { batchIndex, batchTime: (batchIndex + 1) * 1000, intervalMs: 1000 };
}

/** Reads `count` consecutive batches, each continuing after the previous one, like the coordinator. */
export async function readBatches<T>(src: KinesisSource<T>, count: number, after?: SourceRange[]) {
  const batches: SourceBatch<T>[] = [];
  for (let i = 0; i < count; i++) {
    const batch = await src.read(interval(i), after);
    batches.push(batch);
    after = batch.ranges;
  }
  return batches;
}

/** A record to put: its data (a string is UTF-8 encoded), or the data with a partition key and/or hash key. */
export type PutItem =
  | string
  | Uint8Array
  | { data: string | Uint8Array; partitionKey?: string; hashKey?: string };

export interface LocalKinesisHarness {
  /** The started server (only inside tests and hooks: it starts in beforeAll). */
  readonly server: LocalKinesis;
  /** A client of the server; stopped with it. */
  readonly client: KinesisClient;
  /** Another client, e.g. for a second source; stopped with the server. */
  newClient(): KinesisClient;
  /** Creates a new, uniquely named stream (`<namePrefix>-<n>`) and waits until it is ACTIVE. */
  newStream(shards?: number): Promise<string>;
  /**
   * Puts the items in one PutRecords call, in order; partition key `key-<index>` unless given. Throws when
   * any record fails; returns the result entries (sequence number and shard of each record).
   */
  put(stream: string, items: readonly PutItem[]): Promise<PutRecordsResultEntry[]>;
}

/**
 * Kinesalite for the tests of this file: starts it in beforeAll, stops it (and its clients) in afterAll.
 * Call at the top level of a test file (or a describe).
 */
export function useLocalKinesis(namePrefix: string): LocalKinesisHarness {
  let server: LocalKinesis | undefined;
  let streams = 0;

  beforeAll(async () => {
    server = await startKinesalite();
  });

  afterAll(async () => {
    await server?.stop();
  });

  const started = (): LocalKinesis => {
    if (!server) throw new Error('local Kinesis is not started: use it inside tests and hooks');
    return server;
  };

  const harness: LocalKinesisHarness = {
    get server() {
      return started();
    },
    get client() {
      return started().client;
    },
    newClient: () => started().newClient(),
    async newStream(shards = 1) {
      const name = `${namePrefix}-${++streams}`;
      await createStream(started().client, name, shards);
      return name;
    },
    async put(stream, items) {
      const out = await started().client.send(
        new PutRecordsCommand({
          StreamName: stream,
          Records: items.map((item, i) => {
            const { data, partitionKey, hashKey } =
              typeof item === 'object' && 'data' in item ? item : { data: item };
            return {
              Data: typeof data === 'string' ? text(data) : data,
              PartitionKey: partitionKey ?? `key-${i}`,
              ...(hashKey === undefined ? {} : { ExplicitHashKey: hashKey }),
            };
          }),
        }),
      );
      if (out.FailedRecordCount) {
        throw new Error(`${out.FailedRecordCount} of ${items.length} records failed to put to ${stream}`);
      }
      // Arrivals are stamped in whole milliseconds and a batch takes those before its cutoff: a batch
      // planned in the millisecond this put returned would rightly leave these records to the next one.
      const returnedAt = Date.now();
      while (Date.now() <= returnedAt) await new Promise((resolve) => setTimeout(resolve, 1));
      return out.Records ?? [];
    },
  };
  return harness;
}
