import type { Source, SourceBatch, SourceInterval } from './ports';

/**
 * One array per batch, for tests and examples: batch i receives `batches[i]`, later batches nothing.
 * Addressed by batch index rather than consumed, so re-reading a batch yields the same records.
 */
export class QueueSource<T> implements Source<T> {
  constructor(
    private readonly name: string,
    private readonly batches: readonly (readonly T[])[],
  ) {}

  async read({ batchIndex }: SourceInterval): Promise<SourceBatch<T>> {
    const records = [...(this.batches[batchIndex] ?? [])];
    return {
      records,
      ranges: [
        {
          shard: this.name,
          first: `${batchIndex}:0`,
          last: `${batchIndex}:${records.length}`,
          count: records.length,
        },
      ],
    };
  }

  async replay(_ranges: unknown, interval: SourceInterval): Promise<T[]> {
    return (await this.read(interval)).records;
  }
}
