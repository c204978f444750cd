import type { Source, SourceBatch } from './ports';

export interface GeneratorOptions<T> {
  /** Records per second of stream time. */
  ratePerSecond: number;
  /** The record at a given position of the stream; must be a pure function of `index`. */
  generate: (index: number) => T;
}

/**
 * A synthetic, replayable stream: the interval ending at time t holds records
 * `[rate * (t - interval), rate * t)` counted from the stream's start, so any interval can be re-read.
 */
export class GeneratorSource<T> implements Source<T> {
  constructor(
    private readonly name: string,
    private readonly options: GeneratorOptions<T>,
  ) {}

  async read(batchIndex: number, _batchTime: number, intervalMs: number): Promise<SourceBatch<T>> {
    const first = Math.floor((this.options.ratePerSecond * intervalMs * batchIndex) / 1000);
    const end = Math.floor((this.options.ratePerSecond * intervalMs * (batchIndex + 1)) / 1000);
    const records = new Array<T>(end - first);
    for (let i = first; i < end; i++) records[i - first] = this.options.generate(i);
    return {
      records,
      ranges: [{ shard: this.name, first: String(first), last: String(end - 1), count: end - first }],
    };
  }
}
