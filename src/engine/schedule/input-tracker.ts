import { sourceDeadLetterKey, sourceDeadLetterPrefix } from '../catalog/layout';
import type { InputManifest } from '../catalog/manifest';
import { encodeRows } from '../exec';
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
      const ranges = input.source.direct.ranges(interval, input.partitions);
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
   * A batch taken over from a coordinator that died between claiming it and writing its inputs: blocks
   * are replayed by the tasks that miss them, but dead letters would be lost, so those the manifest
   * counts and the store lacks are read again from the recorded ranges.
   */
  async restoreDeadLetters(time: number, recorded: readonly InputManifest[]): Promise<void> {
    for (const manifest of recorded) {
      if (!manifest.deadLetters) continue;
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
    const writes = [...groupByShard(deadLetters)].map(([shard, letters]) => {
      const body = {
        stream: manifest.name,
        batchTime: time,
        shard,
        letters: letters.map((l) => ({
          position: l.position,
          error: l.error,
          data: Buffer.from(l.data).toString('base64'),
        })),
      };
      const key = sourceDeadLetterKey(manifest.stream, time, shard);
      return this.store.put(key, new TextEncoder().encode(JSON.stringify(body)));
    });
    await Promise.all(writes);
  }
}

function groupByShard(letters: readonly DeadLetter[]): Map<string, DeadLetter[]> {
  const groups = new Map<string, DeadLetter[]>();
  for (const letter of letters) groups.set(letter.shard, [...(groups.get(letter.shard) ?? []), letter]);
  return groups;
}
