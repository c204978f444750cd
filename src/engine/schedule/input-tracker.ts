import { sourceDeadLetterPrefix } from '../catalog/layout';
import type { InputManifest } from '../catalog/manifest';
import { sourceDeadLetterObjects } from '../catalog/source-dead-letters';
import { encodeRows, type SourceReadReport } from '../exec';
import type { DStreamGraph, InputDStream } from '../graph';
import { SourceError } from '../io/errors';
import type { DeadLetter, SourceRange, Store } from '../io/ports';
import { inputBlockKey } from '../plan';
import { splitEvenly } from '../util/split';

/** One input's interval, decided: its manifest entry, and the records still to be written as blocks. */
export interface DecidedInput {
  manifest: InputManifest;
  /** Rows per partition (empty for direct sources: tasks read their own ranges). */
  blocks: unknown[][];
  deadLetters: DeadLetter[];
}

/**
 * Where each input stream's batches come from (Spark's ReceivedBlockTracker): decides the next interval
 * of every input after the last committed one, and writes its blocks and dead letters once the batch is
 * claimed. Deciding reads the source but writes nothing, so a coordinator that loses the claim on the
 * batch has written nothing anyone could see.
 */
export class InputTracker {
  /** Per input stream, the ranges of the last committed batch: where the next batch continues. */
  private readonly positions = new Map<number, SourceRange[]>();

  constructor(
    private readonly graph: DStreamGraph,
    private readonly store: Store,
  ) {}

  committed(inputs: readonly InputManifest[]): void {
    for (const input of inputs) this.positions.set(input.stream, input.ranges);
  }

  decide(time: number): Promise<DecidedInput[]> {
    return Promise.all(this.graph.inputs.map((input) => this.decideOne(input, time)));
  }

  private async decideOne(input: InputDStream<unknown>, time: number): Promise<DecidedInput> {
    const interval = input.interval(time);
    const base = { stream: input.id, name: input.name };
    if (input.source.direct) {
      const ranges = await input.source.direct.ranges(
        interval,
        input.partitions,
        this.positions.get(input.id),
      );
      const records = ranges.reduce((sum, r) => sum + r.count, 0);
      return {
        manifest: { ...base, records, ranges, blocks: [], direct: true },
        blocks: [],
        deadLetters: [],
      };
    }
    const batch = await input.source.read(interval, this.positions.get(input.id));
    const blocks = splitEvenly(batch.records, input.partitions);
    const letters = batch.deadLetters ?? [];
    return {
      manifest: {
        ...base,
        records: batch.records.length,
        ranges: batch.ranges,
        blocks: blocks.map((rows, partition) => ({
          key: inputBlockKey(input.id, time, partition),
          records: rows.length,
        })),
        direct: false,
        ...(letters.length > 0 ? { deadLetters: letters.length } : {}),
      },
      blocks,
      deadLetters: letters,
    };
  }

  /**
   * The inputs as they commit: each planned range (read by tasks) replaced by what the task that read its
   * partition reported. A partition no task of the batch read keeps its position (an empty range, as if
   * nothing had arrived), so its records go to the next batch and a later read of this batch's partition
   * finds nothing either. Two reads of one partition that disagree fail the batch, which runs again.
   */
  settle(
    time: number,
    inputs: readonly InputManifest[],
    reads: readonly SourceReadReport[],
  ): InputManifest[] {
    return inputs.map((input) => {
      if (!input.ranges.some((r) => r.plan)) return input;
      const byPartition = new Map<number, SourceReadReport>();
      for (const read of reads) {
        if (read.stream !== input.stream || read.time !== time) continue;
        const earlier = byPartition.get(read.partition);
        if (earlier && !sameRanges(earlier.ranges, read.ranges)) {
          throw new SourceError(
            `two reads of partition ${read.partition} of input '${input.name}' in batch ${time} got different records (${describe(earlier.ranges)} and ${describe(read.ranges)}); the batch runs again`,
            { time, stream: input.stream, partition: read.partition },
          );
        }
        byPartition.set(read.partition, read);
      }
      const ranges = input.ranges.map((range) => {
        const { plan, ...planned } = range;
        if (!plan) return range;
        const read = byPartition.get(range.partition ?? -1)?.ranges.find((r) => r.shard === range.shard);
        return read ? { ...read, partition: range.partition } : planned;
      });
      const deadLetters = [...byPartition.values()].reduce((sum, r) => sum + r.deadLetters, 0);
      return {
        ...input,
        ranges,
        records: ranges.reduce((sum, r) => sum + r.count, 0),
        ...(deadLetters > 0 ? { deadLetters } : {}),
      };
    });
  }

  /**
   * A batch taken over from a coordinator that died between claiming it and writing its inputs: blocks
   * are replayed by the tasks that miss them, but dead letters would be lost, so those the manifest
   * counts and the store lacks are read again from the recorded ranges.
   */
  async restoreDeadLetters(time: number, recorded: readonly InputManifest[]): Promise<void> {
    for (const manifest of recorded) {
      // Inputs read by tasks: the task reading a shard stores its dead letters before it succeeds.
      if (!manifest.deadLetters || manifest.direct) continue;
      const stored = await this.store.list(sourceDeadLetterPrefix(manifest.stream, time));
      if (stored.length > 0) continue;
      const input = this.graph.inputs.find((i) => i.id === manifest.stream);
      const replay = input?.source.replayDeadLetters;
      if (!input || !replay) {
        throw new SourceError(
          `batch ${time} counted ${manifest.deadLetters} undecodable records of input '${manifest.name}' whose dead letters were never stored, and its source cannot read them again`,
          { time, stream: manifest.stream },
        );
      }
      const letters = await replay.call(input.source, manifest.ranges, input.interval(time));
      await this.writeDeadLetters(manifest, time, letters);
    }
  }

  /** Writes the decided blocks and the dead letters (one object per shard), after the batch is claimed. */
  async write(time: number, decided: readonly DecidedInput[]): Promise<void> {
    const writes: Promise<void>[] = [];
    for (const { manifest, blocks, deadLetters } of decided) {
      blocks.forEach((rows, partition) => {
        writes.push(this.store.put(inputBlockKey(manifest.stream, time, partition), encodeRows(rows)));
      });
      writes.push(this.writeDeadLetters(manifest, time, deadLetters));
    }
    await Promise.all(writes);
  }

  private async writeDeadLetters(manifest: InputManifest, time: number, deadLetters: readonly DeadLetter[]) {
    const objects = sourceDeadLetterObjects(manifest.stream, manifest.name, time, deadLetters);
    await Promise.all(objects.map(({ key, body }) => this.store.put(key, body)));
  }
}

function sameRanges(a: readonly SourceRange[], b: readonly SourceRange[]): boolean {
  const key = (r: SourceRange) => `${r.shard}:${r.first}:${r.last}:${r.count}`;
  return a.length === b.length && a.every((r, i) => key(r) === key(b[i]));
}

function describe(ranges: readonly SourceRange[]): string {
  return ranges.map((r) => `${r.shard} ${r.first}..${r.last} (${r.count})`).join(', ');
}
