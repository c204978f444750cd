import type { RecordDecoder } from '../decoders';
import type { DeadLetter, DirectPart, DirectRead, SourceInterval, SourceRange } from '../ports';
import type { KinesisCalls } from './calls';
import type { PlannedRead } from './planned-read';
import type { RangePlanner } from './range-planner';
import { replayRange } from './replay';
import { readSlots, settleInOrder } from './shards';

/**
 * Kinesis input read by tasks: the coordinator plans each batch's ranges (RangePlanner) and each task
 * reads its partition's shards itself, by plan while the batch runs (PlannedRead), or by the committed
 * ranges when an earlier batch's partition is recomputed (replayRange). No record crosses the
 * coordinator or the store.
 */
export class KinesisDirectRead<T> implements DirectRead<T> {
  constructor(
    private readonly calls: KinesisCalls,
    private readonly decode: RecordDecoder<T>,
    private readonly planner: RangePlanner,
    private readonly reader: PlannedRead<T>,
    private readonly readConcurrency: number,
  ) {}

  ranges(
    _interval: SourceInterval,
    partitions: number,
    after: readonly SourceRange[] | undefined,
  ): Promise<SourceRange[]> {
    return this.planner.plan(partitions, after);
  }

  async readPartition(
    _interval: SourceInterval,
    partition: number,
    _partitions: number,
    ranges: () => Promise<readonly SourceRange[]>,
  ): Promise<DirectPart<T>> {
    const mine = (await ranges()).filter((r) => r.partition === partition);
    const slot = readSlots(this.readConcurrency);
    const reads = await settleInOrder(
      mine.map((range) =>
        slot(async () => {
          if (range.plan) return this.reader.read(range);
          // Committed: read again exactly (an earlier batch's partition being recomputed).
          if (range.count === 0) return undefined;
          return { part: await replayRange(this.calls, this.decode, range), range: undefined };
        }),
      ),
    );
    const records: T[] = [];
    const deadLetters: DeadLetter[] = [];
    const read: SourceRange[] = [];
    for (const outcome of reads) {
      if (!outcome) continue;
      for (const record of outcome.part.records) records.push(record);
      // Dead letters of a committed range were stored by the task that first read it.
      if (outcome.range) {
        deadLetters.push(...outcome.part.deadLetters);
        read.push(outcome.range);
      }
    }
    return read.length > 0 ? { records, ranges: read, deadLetters } : { records };
  }
}
