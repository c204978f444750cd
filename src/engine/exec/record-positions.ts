import { manifestKey, sourceDeadLetterKey } from '../catalog/layout';
import type { SourceRange, Store } from '../io/ports';
import type { SourceReadReport } from './task-spec';

/** An input partition a task read, by stream, batch and partition. */
export interface InputPart {
  streamId: number;
  time: number;
  partition: number;
}

/** Where an isolated record came from: its input partition, index, and the source's view of it. */
export interface RecordPosition extends InputPart {
  /** The input stream's name (from the batch manifest). */
  stream?: string;
  /** Index of the record within its input partition (block or direct read). */
  index: number;
  /** Shard (or queue, generator) the record was read from, when the manifest's ranges say. */
  shard?: string;
  /** The positions the batch read from that shard: first and last (Kinesis sequence numbers). */
  shardFirst?: string;
  shardLast?: string;
  /** The record's place among the records decoded from that shard in this batch, from 0. */
  offsetInShard?: number;
  /**
   * The record's own source position when the ranges determine it: numbered sources (a generator), or
   * the first or last record read from a shard that had no undecodable record.
   */
  sequenceNumber?: string;
}

interface ManifestInputs {
  inputs?: {
    stream: number;
    name?: string;
    ranges: SourceRange[];
    blocks?: { records: number }[];
    direct?: boolean;
    deadLetters?: number;
  }[];
}

/**
 * Positions of records: the batch manifest's ranges (shard, first and last position, count) and block
 * sizes place a record of an input partition in its shard; source dead letters of the batch (records
 * that could not be decoded, counted in the ranges) are subtracted per shard.
 */
export async function positionsOf(
  store: Store,
  items: readonly { part: InputPart; index: number }[],
  /** What this task read by planned ranges: the manifest holds only the plans while the batch runs. */
  reads: readonly SourceReadReport[] = [],
): Promise<RecordPosition[]> {
  const manifests = new Map<number, Promise<ManifestInputs | undefined>>();
  const manifestOf = (time: number) => {
    let m = manifests.get(time);
    if (!m) {
      m = store
        .get(manifestKey(time))
        .then((bytes) =>
          bytes ? (JSON.parse(new TextDecoder().decode(bytes)) as ManifestInputs) : undefined,
        )
        .catch(() => undefined);
      manifests.set(time, m);
    }
    return m;
  };
  return Promise.all(
    items.map(async ({ part, index }) => {
      const position: RecordPosition = {
        streamId: part.streamId,
        time: part.time,
        partition: part.partition,
        index,
      };
      const input = (await manifestOf(part.time))?.inputs?.find((i) => i.stream === part.streamId);
      if (!input) return position;
      if (input.name !== undefined) position.stream = input.name;
      let offset = index;
      // Read by tasks: the partition's own ranges, in order; blocks: every range, after earlier blocks.
      const read = reads.find(
        (r) => r.stream === part.streamId && r.time === part.time && r.partition === part.partition,
      );
      const ranges =
        read?.ranges ??
        (input.direct ? input.ranges.filter((r, i) => (r.partition ?? i) === part.partition) : input.ranges);
      if (!input.direct) {
        for (const block of (input.blocks ?? []).slice(0, part.partition)) offset += block.records;
      }
      for (const range of ranges) {
        const letters =
          input.deadLetters || read?.deadLetters
            ? await lettersIn(store, part.streamId, part.time, range.shard)
            : 0;
        const decoded = range.count - letters;
        if (offset < decoded) {
          placeIn(position, range, offset, letters);
          break;
        }
        offset -= decoded;
      }
      return position;
    }),
  );
}

function placeIn(position: RecordPosition, range: SourceRange, offset: number, letters: number): void {
  position.shard = range.shard;
  position.shardFirst = range.first;
  position.shardLast = range.last;
  position.offsetInShard = offset;
  // Numbered positions (Kinesis sequence numbers, generator indexes); a queue's are not.
  if (!/^\d+$/.test(range.first) || !/^\d+$/.test(range.last)) return;
  if (BigInt(range.last) - BigInt(range.first) + 1n === BigInt(range.count)) {
    position.sequenceNumber = String(BigInt(range.first) + BigInt(offset));
  } else if (letters === 0 && offset === 0) {
    position.sequenceNumber = range.first;
  } else if (letters === 0 && offset === range.count - 1) {
    position.sequenceNumber = range.last;
  }
}

async function lettersIn(store: Store, streamId: number, time: number, shard: string): Promise<number> {
  const bytes = await store.get(sourceDeadLetterKey(streamId, time, shard)).catch(() => undefined);
  if (!bytes) return 0;
  try {
    const parsed = JSON.parse(new TextDecoder().decode(bytes)) as { letters?: unknown[] };
    return parsed.letters?.length ?? 0;
  } catch {
    return 0;
  }
}

/** A position in words, for error messages. */
export function describePosition(p: RecordPosition): string {
  const stream = p.stream !== undefined ? `input '${p.stream}'` : `input ${p.streamId}`;
  let text = `${stream} batch ${p.time} partition ${p.partition} record ${p.index}`;
  if (p.shard !== undefined) {
    const sequence =
      p.sequenceNumber !== undefined
        ? `sequence number ${p.sequenceNumber}`
        : `record ${p.offsetInShard} read from ${p.shardFirst || 'the start'} to ${p.shardLast}`;
    text += ` (shard ${p.shard}, ${sequence})`;
  }
  return text;
}
