import { type DecoderName, decoderFor, type RecordDecoder, type RecordMeta } from './decoders';
import { SourceError } from './errors';
import type { DeadLetter, DirectRead, Source, SourceBatch, SourceInterval, SourceRange } from './ports';

/** Records addressed by position, e.g. views into one pre-filled buffer. */
export interface ByteLog {
  readonly length: number;
  /** The record at `position` (0 <= position < length); a view, not a copy. */
  at(position: number): Uint8Array;
}

export interface MemoryByteSourceOptions<T> {
  /** The records, in stream order. */
  log: ByteLog | readonly Uint8Array[];
  /** Records per second of stream time: the interval ending at batch k holds the next `rate * interval`. */
  ratePerSecond: number;
  /**
   * Turns each record's bytes into a value, in the task that reads it (as Kinesis records are decoded).
   * `'bytes'` hands the log's own views (no copy): the log must not change while the stream runs.
   */
  decoder: DecoderName | RecordDecoder<T>;
  /** Past the end of the log, start over from its first record (default: the stream ends there). */
  cycle?: boolean;
}

/**
 * An in-memory, replayable byte stream: one shard whose records are byte payloads, like a Kinesis shard
 * already filled. Positions are record indexes counted from the stream's start, so any interval can be
 * re-read, and tasks read and decode their own partitions (direct reads): records never pass through
 * the coordinator. Benchmarks feed pre-generated records through it; tests can use it as a Kinesis stand-in.
 */
export class MemoryByteSource<T> implements Source<T> {
  readonly direct: DirectRead<T>;
  private readonly log: ByteLog;
  private readonly decode: RecordDecoder<T>;
  /** Decoders declared with one parameter never see `meta`, so it is not built for them. */
  private readonly wantsMeta: boolean;
  /** Raw records: the log's views are the values, and no record can fail to decode. */
  private readonly views: boolean;

  constructor(
    private readonly name: string,
    private readonly options: MemoryByteSourceOptions<T>,
  ) {
    if (!(options.ratePerSecond > 0)) {
      throw new SourceError(`MemoryByteSource '${name}': ratePerSecond must be positive`, {
        ratePerSecond: options.ratePerSecond,
      });
    }
    this.log = asByteLog(options.log);
    this.decode = decoderFor(options.decoder);
    this.wantsMeta = this.decode.length >= 2;
    this.views = options.decoder === 'bytes';
    this.direct = {
      ranges: async (interval, partitions) =>
        Array.from({ length: partitions }, (_, p) => ({
          ...this.range(...this.partitionBounds(interval, p, partitions)),
          partition: p,
        })),
      readPartition: async (interval, partition, partitions) =>
        this.readPositions(...this.partitionBounds(interval, partition, partitions)),
    };
  }

  /** The positions `[first, end)` of an interval: the split every reader of this source agrees on. */
  static positions(ratePerSecond: number, { batchIndex, intervalMs }: SourceInterval): [number, number] {
    const perBatch = ratePerSecond * intervalMs;
    return [Math.floor((perBatch * batchIndex) / 1000), Math.floor((perBatch * (batchIndex + 1)) / 1000)];
  }

  async read(interval: SourceInterval): Promise<SourceBatch<T>> {
    const [first, end] = this.bounds(interval);
    return { ...this.readPositions(first, end), ranges: [this.range(first, end)] };
  }

  async replay(ranges: readonly SourceRange[]): Promise<T[]> {
    return this.readRanges(ranges).records;
  }

  async replayDeadLetters(ranges: readonly SourceRange[]): Promise<DeadLetter[]> {
    return this.readRanges(ranges).deadLetters;
  }

  private readRanges(ranges: readonly SourceRange[]) {
    const read = { records: [] as T[], deadLetters: [] as DeadLetter[] };
    for (const r of ranges) {
      if (r.shard !== this.name || r.count === 0) continue;
      this.readPositions(Number(r.first), Number(r.last) + 1, read);
    }
    return read;
  }

  /** Decodes positions `[first, end)`; an undecodable record becomes a dead letter with its position. */
  private readPositions(
    first: number,
    end: number,
    into = { records: [] as T[], deadLetters: [] as DeadLetter[] },
  ) {
    if (this.views) {
      const records = into.records as unknown as Uint8Array[];
      for (let position = first; position < end; position++) records.push(this.bytesAt(position));
      return into;
    }
    for (let position = first; position < end; position++) {
      const data = this.bytesAt(position);
      try {
        into.records.push(this.decodeOne(data, position));
      } catch (error) {
        into.deadLetters.push({ shard: this.name, position: String(position), data, error: String(error) });
      }
    }
    return into;
  }

  private bounds(interval: SourceInterval): [number, number] {
    const [first, end] = MemoryByteSource.positions(this.options.ratePerSecond, interval);
    if (this.options.cycle) return [first, end];
    return [Math.min(first, this.log.length), Math.min(end, this.log.length)];
  }

  /** Contiguous slices, the same split the coordinator uses for blocks. */
  private partitionBounds(interval: SourceInterval, partition: number, partitions: number): [number, number] {
    const [first, end] = this.bounds(interval);
    const size = Math.ceil((end - first) / partitions);
    const from = Math.min(end, first + partition * size);
    return [from, Math.min(end, from + size)];
  }

  private decodeOne(data: Uint8Array, position: number): T {
    if (!this.wantsMeta) return (this.decode as (data: Uint8Array) => T)(data);
    const meta: RecordMeta = {
      partitionKey: '',
      sequenceNumber: String(position),
      arrivalTime: 0,
      shard: this.name,
    };
    return this.decode(data, meta);
  }

  private bytesAt(position: number): Uint8Array {
    const length = this.log.length;
    return this.log.at(this.options.cycle ? position % length : position);
  }

  private range(first: number, end: number): SourceRange {
    return {
      shard: this.name,
      first: end > first ? String(first) : '',
      last: end > first ? String(end - 1) : '',
      count: end - first,
    };
  }
}

function asByteLog(log: ByteLog | readonly Uint8Array[]): ByteLog {
  if (!Array.isArray(log)) return log as ByteLog;
  const records = log as readonly Uint8Array[];
  return { length: records.length, at: (position) => records[position] };
}
