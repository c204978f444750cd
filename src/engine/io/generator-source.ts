import type { DirectRead, Source, SourceBatch, SourceInterval, SourceRange } from './ports';

export interface GeneratorOptions<T> {
  /** Records per second of stream time. */
  ratePerSecond: number;
  /** The record at a given position of the stream; must be a pure function of `index`. */
  generate: (index: number) => T;
}

/**
 * A synthetic, replayable stream: the interval ending at time t holds records
 * `[rate * (t - interval), rate * t)` counted from the stream's start, so any interval can be re-read.
 * Tasks generate their own partitions (direct reads), so the coordinator never touches the records.
 */
export class GeneratorSource<T> implements Source<T> {
  readonly direct: DirectRead<T>;

  constructor(
    private readonly name: string,
    private readonly options: GeneratorOptions<T>,
  ) {
    this.direct = {
      ranges: async (interval, partitions) =>
        Array.from({ length: partitions }, (_, p) => ({
          ...this.range(...this.partitionBounds(interval, p, partitions)),
          partition: p,
        })),
      readPartition: async (interval, partition, partitions) => ({
        records: this.generate(...this.partitionBounds(interval, partition, partitions)),
      }),
    };
  }

  async read(interval: SourceInterval): Promise<SourceBatch<T>> {
    const [first, end] = this.bounds(interval);
    return { records: this.generate(first, end), ranges: [this.range(first, end)] };
  }

  async replay(_ranges: readonly SourceRange[], interval: SourceInterval): Promise<T[]> {
    return (await this.read(interval)).records;
  }

  private bounds({ batchIndex, intervalMs }: SourceInterval): [number, number] {
    const perBatch = this.options.ratePerSecond * intervalMs;
    return [Math.floor((perBatch * batchIndex) / 1000), Math.floor((perBatch * (batchIndex + 1)) / 1000)];
  }

  /** Contiguous slices, the same split the coordinator uses for blocks. */
  private partitionBounds(interval: SourceInterval, partition: number, partitions: number): [number, number] {
    const [first, end] = this.bounds(interval);
    const size = Math.ceil((end - first) / partitions);
    const from = Math.min(end, first + partition * size);
    return [from, Math.min(end, from + size)];
  }

  private generate(first: number, end: number): T[] {
    const records = new Array<T>(end - first);
    for (let i = first; i < end; i++) records[i - first] = this.options.generate(i);
    return records;
  }

  private range(first: number, end: number): SourceRange {
    return { shard: this.name, first: String(first), last: String(end - 1), count: end - first };
  }
}
