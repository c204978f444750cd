import {
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type GetShardIteratorCommandInput,
  type KinesisClient,
  ListShardsCommand,
  type ListShardsCommandOutput,
  type Shard,
} from '@aws-sdk/client-kinesis';
import { awsErrorCode, awsErrorMessage, isThrottlingError } from '../aws-errors';
import { SourceError } from '../errors';
import { countRequests, type RequestKind } from '../metering';
import type { Clock } from '../ports';
import { type RetryPolicy, withRetry } from '../retry';
import { RateLimiter } from './rate-limiter';

/** The part of KinesisClient the source uses, so tests can pass a stub `{ send }` (or a FaultyKinesis). */
export type KinesisSender = Pick<KinesisClient, 'send'>;

/** Where a shard iterator starts. */
export type Start =
  | { kind: 'after' | 'at'; sequence: string }
  | { kind: 'type'; type: 'TRIM_HORIZON' | 'LATEST' }
  | { kind: 'timestamp'; timestamp: Date };

/** Maps a ResourceNotFoundException (or, for replays, a trimmed range) to the caller's own error. */
export type NotFound = (why: string, cause: unknown) => SourceError;

/**
 * Kinesis calls of one source: each retried on throttling and transient failures with the one retry
 * policy (io/retry.ts), and each GetRecords / GetShardIterator attempt first waits for the shard's rate
 * limit (5 calls per second per shard each, Kinesis' own quota), so retries never add to the pressure.
 */
export class KinesisCalls {
  readonly getRecordsLimit: RateLimiter;
  readonly iteratorLimit: RateLimiter;

  constructor(
    readonly streamName: string,
    private readonly client: KinesisSender,
    private readonly retry: RetryPolicy,
    readonly clock: Clock,
  ) {
    this.getRecordsLimit = new RateLimiter(clock);
    this.iteratorLimit = new RateLimiter(clock);
  }

  async listShards(): Promise<Shard[]> {
    const shards: Shard[] = [];
    let nextToken: string | undefined;
    do {
      // Kinesis refuses StreamName together with NextToken.
      const input = nextToken ? { NextToken: nextToken } : { StreamName: this.streamName };
      const out: ListShardsCommandOutput = await this.call('ListShards', undefined, undefined, () =>
        this.client.send(new ListShardsCommand(input)),
      );
      shards.push(...(out.Shards ?? []));
      nextToken = out.NextToken;
    } while (nextToken);
    return shards;
  }

  /** The stream's retention period in ms (DescribeStreamSummary's RetentionPeriodHours). */
  async retentionMs(): Promise<number> {
    const out = await this.call('DescribeStreamSummary', undefined, undefined, () =>
      this.client.send(new DescribeStreamSummaryCommand({ StreamName: this.streamName })),
    );
    const hours = out.StreamDescriptionSummary?.RetentionPeriodHours;
    if (typeof hours !== 'number' || !(hours > 0)) {
      throw new SourceError(
        `DescribeStreamSummary of Kinesis stream "${this.streamName}" answered no retention period`,
        { stream: this.streamName, operation: 'DescribeStreamSummary' },
      );
    }
    return hours * 3_600_000;
  }

  async shardIterator(shard: string, start: Start, notFound?: NotFound): Promise<string | undefined> {
    const base = { StreamName: this.streamName, ShardId: shard };
    const input: GetShardIteratorCommandInput =
      start.kind === 'type'
        ? { ...base, ShardIteratorType: start.type }
        : start.kind === 'timestamp'
          ? { ...base, ShardIteratorType: 'AT_TIMESTAMP', Timestamp: start.timestamp }
          : {
              ...base,
              ShardIteratorType: start.kind === 'after' ? 'AFTER_SEQUENCE_NUMBER' : 'AT_SEQUENCE_NUMBER',
              StartingSequenceNumber: start.sequence,
            };
    const out = await this.call(
      'GetShardIterator',
      shard,
      notFound,
      () => this.client.send(new GetShardIteratorCommand(input)),
      this.iteratorLimit,
    );
    return out.ShardIterator;
  }

  getRecords(
    shard: string,
    iterator: string,
    limit: number,
    notFound?: NotFound,
  ): Promise<GetRecordsCommandOutput> {
    return this.call(
      'GetRecords',
      shard,
      notFound,
      () => this.client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: limit })),
      this.getRecordsLimit,
    );
  }

  /** Runs one Kinesis call with retries; failures become SourceErrors naming stream, shard and operation. */
  private call<R>(
    operation: string,
    shard: string | undefined,
    notFound: NotFound | undefined,
    run: () => Promise<R>,
    limiter?: RateLimiter,
  ): Promise<R> {
    const where = `Kinesis stream "${this.streamName}"${shard ? ` shard ${shard}` : ''}`;
    return withRetry(
      this.retry,
      async () => {
        if (limiter && shard) await limiter.acquire(shard);
        countRequests(requestKindOf(operation));
        return run();
      },
      {
        giveUp: ({ error, attempts, exhausted }) => {
          const code = awsErrorCode(error);
          const context = { stream: this.streamName, shard, operation, code };
          if (exhausted && isThrottlingError(error)) {
            return new SourceError(
              `${where} is still throttled (${code}) after ${attempts - 1} retries of ${operation}; ` +
                'read less per batch (maxRecordsPerShard), share the stream with fewer readers, or add shards',
              { ...context, retries: attempts - 1 },
              { cause: error },
            );
          }
          if (code === 'ResourceNotFoundException') {
            if (notFound) return notFound(awsErrorMessage(error), error);
            if (operation === 'ListShards') return this.noSuchStream(error);
          }
          const tried = exhausted ? ` (after ${attempts} attempts)` : '';
          return new SourceError(
            `${operation} on ${where} failed${tried}: ${code}: ${awsErrorMessage(error)}`,
            { ...context, ...(exhausted ? { attempts } : {}) },
            { cause: error },
          );
        },
      },
    );
  }

  private noSuchStream(cause: unknown): SourceError {
    return new SourceError(
      `Kinesis stream "${this.streamName}" does not exist (or is not visible to these credentials, region and ` +
        `endpoint). Create it first, e.g. \`aws kinesis create-stream --stream-name ${this.streamName} ` +
        '--shard-count 1` or CreateStreamCommand, and wait until it is ACTIVE',
      { stream: this.streamName, code: 'ResourceNotFoundException' },
      { cause },
    );
  }
}

/** The meter's name for a Kinesis operation (each attempt is one request). */
function requestKindOf(operation: string): RequestKind {
  if (operation === 'GetRecords') return 'kinesisGetRecords';
  if (operation === 'GetShardIterator') return 'kinesisGetShardIterator';
  if (operation === 'ListShards') return 'kinesisListShards';
  return 'kinesisOther';
}
