/** Shared job-level test helpers: a store that counts requests, a replayable log source, a word count. */
import { type Pair, StoreSink, StreamingContext } from '../../src/engine';
import type {
  DeadLetter,
  Source,
  SourceBatch,
  SourceRange,
  Store,
  StoreEntry,
  VersionedObject,
  WriteCondition,
} from '../../src/engine/io/ports';

export type Op = 'put' | 'putIf' | 'get' | 'getVersioned' | 'getRange' | 'has' | 'delete' | 'list';

export class CountingStore implements Store {
  readonly calls: { op: Op; key: string }[] = [];
  constructor(readonly inner: Store) {}
  reset(): void {
    this.calls.length = 0;
  }
  count(op?: Op, keyPrefix = ''): number {
    return this.calls.filter((c) => (op === undefined || c.op === op) && c.key.startsWith(keyPrefix)).length;
  }
  put(key: string, body: Uint8Array): Promise<void> {
    this.calls.push({ op: 'put', key });
    return this.inner.put(key, body);
  }
  putIf(key: string, body: Uint8Array, condition: WriteCondition): Promise<string> {
    this.calls.push({ op: 'putIf', key });
    return this.inner.putIf(key, body, condition);
  }
  get(key: string): Promise<Uint8Array | undefined> {
    this.calls.push({ op: 'get', key });
    return this.inner.get(key);
  }
  getVersioned(key: string): Promise<VersionedObject | undefined> {
    this.calls.push({ op: 'getVersioned', key });
    return this.inner.getVersioned(key);
  }
  getRange(key: string, start: number, end: number): Promise<Uint8Array | undefined> {
    this.calls.push({ op: 'getRange', key });
    return this.inner.getRange(key, start, end);
  }
  has(key: string): Promise<boolean> {
    this.calls.push({ op: 'has', key });
    return this.inner.has(key);
  }
  delete(keys: readonly string[]): Promise<void> {
    // One DeleteObjects request per call (up to 1000 keys), as S3Store does.
    if (keys.length > 0) this.calls.push({ op: 'delete', key: keys[0] });
    return this.inner.delete(keys);
  }
  list(prefix: string): Promise<StoreEntry[]> {
    this.calls.push({ op: 'list', key: prefix });
    return this.inner.list(prefix);
  }
}

/**
 * A replayable log (one shard, positions are indexes), like a Kinesis shard; several sources may share
 * one `records` array, as coordinators share a stream. Optional dead letters and a pause inside a read.
 */
export class LogSource implements Source<string> {
  /** Positions (indexes into records) the "decoder" cannot decode: dead-lettered, not returned. */
  readonly undecodable = new Set<number>();
  /** The next read takes its snapshot, calls `onPause`, and waits for this before it returns. */
  pause?: Promise<void>;
  onPause?: () => void;

  constructor(readonly records: string[] = []) {}

  async read(_interval: unknown, after: readonly SourceRange[] | undefined): Promise<SourceBatch<string>> {
    const from = after?.[0]?.last ? Number(after[0].last) + 1 : 0;
    const to = this.records.length;
    const pause = this.pause;
    this.pause = undefined;
    if (pause) {
      this.onPause?.();
      await pause;
    }
    const records: string[] = [];
    const deadLetters = [];
    for (let i = from; i < to; i++) {
      if (this.undecodable.has(i)) {
        deadLetters.push(this.deadLetter(i));
      } else records.push(this.records[i]);
    }
    const range = {
      shard: 'log',
      first: to > from ? String(from) : '',
      last: to > from ? String(to - 1) : (after?.[0]?.last ?? ''),
      count: to - from,
    };
    return { records, ranges: [range], deadLetters };
  }
  async replayDeadLetters(ranges: readonly SourceRange[]): Promise<DeadLetter[]> {
    return ranges.flatMap((r) => {
      if (!r.first) return [];
      const letters: DeadLetter[] = [];
      for (let i = Number(r.first); i <= Number(r.last); i++) {
        if (this.undecodable.has(i)) letters.push(this.deadLetter(i));
      }
      return letters;
    });
  }

  private deadLetter(i: number): DeadLetter {
    return {
      shard: 'log',
      position: String(i),
      data: new TextEncoder().encode(this.records[i]),
      error: 'bad',
    };
  }

  async replay(ranges: readonly SourceRange[]): Promise<string[]> {
    return ranges.flatMap((r) => {
      if (!r.first) return [];
      const out: string[] = [];
      for (let i = Number(r.first); i <= Number(r.last); i++)
        if (!this.undecodable.has(i)) out.push(this.records[i]);
      return out;
    });
  }
}

export function wordCount(source: LogSource, name = 'review') {
  const ssc = new StreamingContext({ batchInterval: '1s', partitions: 2, name, log: () => undefined });
  const sink = new StoreSink<Pair<string, number>>('out');
  ssc
    .inputStream(source, { name: 'log' })
    .map((w): Pair<string, number> => [w, 1])
    .reduceByKey((a, b) => a + b)
    .writeTo(sink);
  return { ssc, sink, source };
}

export async function sinkTotal(sink: StoreSink<Pair<string, number>>, store: Store): Promise<number> {
  const batches = await sink.committedBatches(store);
  const rows = (await Promise.all(batches.map((t) => sink.readBatch(store, t)))).flat();
  return rows.reduce((sum, row) => sum + row![1], 0);
}
