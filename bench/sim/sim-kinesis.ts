import type { DirectRead, Source, SourceBatch, SourceInterval, SourceRange } from '../../src/engine/io/ports';
import { VOCABULARY, WORDS_PER_RECORD } from './model';

/** What the task running right now read from the stream, in simulated (not sampled) records. */
export interface InputTally {
  shardReads: number;
  records: number;
}

export interface SimKinesisOptions {
  shards: number;
  recordsPerSecond: number;
  /** Records actually generated per shard and batch; each stands for `real / sample` records. */
  samplePerShard: number;
  /**
   * Kinesis shards behind each partition, read in parallel by its task (default 1). Lets a few tasks
   * carry more than 1,000 records/s each without modelling thousands of tasks.
   */
  shardsPerPartition?: number;
}

/**
 * A Kinesis stream of `shards` shards read directly by the map tasks, one shard each (the direct-stream
 * design of issue #11 item 1). Ranges and counts are the simulated ones; the records handed to the task
 * code are a small deterministic sample, and the invoker charges the time of reading the real count.
 */
export class SimKinesisSource implements Source<string> {
  readonly direct: DirectRead<string>;
  /** Set by the invoker around each task it runs. */
  tally?: InputTally;

  constructor(private readonly options: SimKinesisOptions) {
    this.direct = {
      ranges: async (interval) => Array.from({ length: options.shards }, (_, s) => this.range(interval, s)),
      readPartition: async (interval, partition) => {
        const real = this.realCount(interval, partition);
        if (this.tally) {
          this.tally.shardReads += this.options.shardsPerPartition ?? 1;
          this.tally.records += real;
        }
        return { records: this.sample(interval, partition) };
      },
    };
  }

  /** Records arriving per shard and batch (spread as evenly as whole records allow). */
  realCount(interval: SourceInterval, shard: number): number {
    const perBatch = Math.round((this.options.recordsPerSecond * interval.intervalMs) / 1000);
    const base = Math.floor(perBatch / this.options.shards);
    return base + (shard < perBatch % this.options.shards ? 1 : 0);
  }

  async read(interval: SourceInterval): Promise<SourceBatch<string>> {
    const shards = Array.from({ length: this.options.shards }, (_, s) => s);
    return {
      records: shards.flatMap((s) => this.sample(interval, s)),
      ranges: shards.map((s) => this.range(interval, s)),
    };
  }

  async replay(ranges: readonly SourceRange[], interval: SourceInterval): Promise<string[]> {
    return ranges.flatMap((r) => this.sample(interval, Number(r.shard.slice(6))));
  }

  private range(interval: SourceInterval, shard: number): SourceRange {
    const count = this.realCount(interval, shard);
    const first = interval.batchIndex * count;
    return {
      shard: `shard-${shard}`,
      first: count > 0 ? String(first) : '',
      last: String(first + count - 1),
      count,
    };
  }

  private sample(interval: SourceInterval, shard: number): string[] {
    const count = Math.min(this.realCount(interval, shard), this.options.samplePerShard);
    return Array.from({ length: count }, (_, i) => line(interval.batchIndex, shard, i));
  }
}

/** A deterministic line of words drawn from the vocabulary. */
function line(batch: number, shard: number, index: number): string {
  let x = (Math.imul(batch + 1, 0x9e3779b1) ^ Math.imul(shard + 1, 0x85ebca6b) ^ (index + 1)) >>> 0;
  const words: string[] = [];
  for (let i = 0; i < WORDS_PER_RECORD; i++) {
    x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) >>> 0;
    x = Math.imul(x ^ (x >>> 12), 0x297a2d39) >>> 0;
    words.push(`w${x % VOCABULARY}`);
  }
  return words.join(' ');
}
