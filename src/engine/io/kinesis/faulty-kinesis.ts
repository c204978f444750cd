/**
 * FAULT INJECTION for tests, the chaos suite and benchmarks: off unless wired in explicitly. Wraps a
 * Kinesis client (kinesalite, LocalStack, a stub) so the local path behaves the way Kinesis on AWS does
 * where the emulators do not (see STACK.md, "AWS behaviour the emulators hide"):
 *
 * - empty pages: GetRecords answers `Records: []` with MillisBehindLatest > 0 and a fresh
 *   NextShardIterator that continues at the same position, several times before records;
 * - throttling: GetRecords and GetShardIterator fail with ProvisionedThroughputExceededException;
 * - trimming: `trim(shard, oldestKept)` makes older records unreadable, as retention does. TRIM_HORIZON
 *   then starts at `oldestKept`, and AT/AFTER_SEQUENCE_NUMBER of a trimmed sequence number start there
 *   too, so the first record read is not the one expected. `expireThrough(shard, lastExpired)` does the
 *   same up to and including `lastExpired`, which can empty the shard (everything in it expired).
 *
 * Every decision comes from a seeded generator, so a failing seed can be replayed.
 */
import {
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type GetShardIteratorCommandInput,
  ProvisionedThroughputExceededException,
} from '@aws-sdk/client-kinesis';
import { seededRandom } from '../../util/seeded-random';
import type { KinesisSender } from './calls';
import { compareSequence } from './shards';

export interface KinesisFaults {
  /**
   * Empty pages answered each time a GetRecords call would have returned records (a number, or chosen per
   * call from the seeded generator). Default 0.
   */
  emptyPagesBeforeRecords?: number | ((shard: string, random: () => number) => number);
  /** Probability that a GetRecords or GetShardIterator call is throttled. Default 0. */
  throttle?: number;
  /** Seed of the generator behind every decision. Default 1. */
  seed?: number;
}

export interface KinesisFaultCounts {
  emptyPages: number;
  throttles: number;
}

/** What a handed-out iterator stands for. */
interface Token {
  shard: string;
  /** The wrapped client's iterator at the same position. */
  inner: string;
  /** Empty pages still to answer before the records at this position (undefined: not decided yet). */
  pending?: number;
}

const PREFIX = 'faulty-kinesis:';

export class FaultyKinesis {
  readonly counts: KinesisFaultCounts = { emptyPages: 0, throttles: 0 };
  /** Use this as the client: `{ client: faulty.client }`. */
  readonly client: KinesisSender;
  private readonly random: () => number;
  private readonly tokens = new Map<string, Token>();
  /** Per shard, where the unexpired records start: at `sequence`, or after it. */
  private readonly horizon = new Map<string, { sequence: string; after: boolean }>();
  private issued = 0;

  constructor(
    private readonly inner: KinesisSender,
    private readonly faults: KinesisFaults = {},
  ) {
    this.random = seededRandom(faults.seed ?? 1);
    this.client = { send: ((command: unknown) => this.send(command)) as KinesisSender['send'] };
  }

  /** Records of `shard` before `oldestKept` (a sequence number still in the shard) expire now. */
  trim(shard: string, oldestKept: string): void {
    this.horizon.set(shard, { sequence: oldestKept, after: false });
  }

  /** Records of `shard` up to and including `lastExpired` (a sequence number of the shard) expire now. */
  expireThrough(shard: string, lastExpired: string): void {
    this.horizon.set(shard, { sequence: lastExpired, after: true });
  }

  /** Whether a record of `shard` is still readable. */
  private kept(shard: string, sequence: string): boolean {
    const horizon = this.horizon.get(shard);
    if (horizon === undefined) return true;
    const order = compareSequence(sequence, horizon.sequence);
    return horizon.after ? order > 0 : order >= 0;
  }

  private async send(command: unknown): Promise<unknown> {
    if (command instanceof GetShardIteratorCommand) {
      this.maybeThrottle(command.input.ShardId ?? '');
      return this.shardIterator(command.input);
    }
    if (command instanceof GetRecordsCommand) {
      const token = this.tokens.get(command.input.ShardIterator ?? '');
      if (!token) return this.inner.send(command);
      this.maybeThrottle(token.shard);
      return this.getRecords(token, command.input.Limit);
    }
    return this.inner.send(command as never);
  }

  private maybeThrottle(shard: string): void {
    if ((this.faults.throttle ?? 0) > 0 && this.random() < this.faults.throttle!) {
      this.counts.throttles++;
      throw new ProvisionedThroughputExceededException({
        message: `Rate exceeded for shard ${shard} (injected fault)`,
        $metadata: { httpStatusCode: 400 },
      });
    }
  }

  private async shardIterator(input: GetShardIteratorCommandInput): Promise<unknown> {
    const shard = input.ShardId ?? '';
    const horizon = this.horizon.get(shard);
    let effective = input;
    if (horizon !== undefined) {
      const type = input.ShardIteratorType;
      const at = input.StartingSequenceNumber ?? '0';
      const trimmed =
        type === 'TRIM_HORIZON' ||
        (type === 'AT_SEQUENCE_NUMBER' && !this.kept(shard, at)) ||
        (type === 'AFTER_SEQUENCE_NUMBER' && compareSequence(at, horizon.sequence) < 0);
      if (trimmed) {
        effective = {
          ...input,
          ShardIteratorType: horizon.after ? 'AFTER_SEQUENCE_NUMBER' : 'AT_SEQUENCE_NUMBER',
          StartingSequenceNumber: horizon.sequence,
        };
      }
    }
    const out = (await this.inner.send(new GetShardIteratorCommand(effective))) as { ShardIterator?: string };
    return { ...out, ShardIterator: out.ShardIterator && this.wrap({ shard, inner: out.ShardIterator }) };
  }

  private async getRecords(token: Token, limit: number | undefined): Promise<unknown> {
    if (token.pending !== undefined && token.pending > 0) {
      return this.emptyPage(token, token.pending - 1, undefined);
    }
    const out = (await this.inner.send(
      new GetRecordsCommand({ ShardIterator: token.inner, Limit: limit }),
    )) as GetRecordsCommandOutput;
    const records = (out.Records ?? []).filter((r) => this.kept(token.shard, r.SequenceNumber!));
    if (records.length > 0 && token.pending === undefined) {
      const empties = this.emptyPages(token.shard);
      // Same position again, after `empties` empty pages: the records are not lost, only late.
      if (empties > 0) return this.emptyPage(token, empties - 1, out.MillisBehindLatest);
    }
    return {
      ...out,
      Records: records,
      NextShardIterator:
        out.NextShardIterator && this.wrap({ shard: token.shard, inner: out.NextShardIterator }),
    };
  }

  private emptyPage(token: Token, pendingAfter: number, behind: number | undefined) {
    this.counts.emptyPages++;
    return {
      Records: [],
      NextShardIterator: this.wrap({ ...token, pending: pendingAfter }),
      MillisBehindLatest: Math.max(1000, behind ?? 0),
      $metadata: {},
    };
  }

  private emptyPages(shard: string): number {
    const choice = this.faults.emptyPagesBeforeRecords ?? 0;
    return typeof choice === 'function' ? choice(shard, this.random) : choice;
  }

  private wrap(token: Token): string {
    const id = `${PREFIX}${++this.issued}`;
    this.tokens.set(id, token);
    return id;
  }
}
