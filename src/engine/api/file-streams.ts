/** `ssc.fileStream`: a stream of the objects arriving under an S3 prefix or in a directory. */
import { InvalidGraphError } from '../graph';
import { checkObjectFormat, type ObjectDecoder, type ObjectFormat } from '../io/object-formats';
import { ObjectStreamSource } from '../io/object-stream-source';
import type { Store } from '../io/ports';
import { type Duration, toMillis } from '../util/duration';
import type { DStream } from './dstream';
import type { InputOptions, StreamingContext } from './streaming-context';
import { storeAt } from './user-store';

export interface FileStreamOptions<T> extends InputOptions {
  /** 'lines' (default): a string per line; 'jsonl': a JSON value per line; 'text': an object per record. */
  format?: ObjectFormat;
  /** Reads an object yourself: its records, or a throw to dead-letter the whole object. */
  decode?: ObjectDecoder<T>;
  /**
   * How late an object may appear in listings after its write time (S3 LastModified, when its upload
   * started) and still be read (default '10m'): more than your slowest upload plus clock skew.
   */
  lookback?: Duration;
  /** Objects written before the stream started: 'skip' them (default, as Spark) or 'read' them. */
  existing?: 'skip' | 'read';
  /** Caps the objects one batch reads; the rest wait for the next batches, oldest first. */
  maxObjectsPerBatch?: number;
}

/** See StreamingContext.fileStream. */
export function fileStream<T>(
  ssc: StreamingContext,
  location: string | Store,
  options: FileStreamOptions<T> = {},
): DStream<T> {
  const where = 'fileStream';
  const { format, decode, lookback, existing, maxObjectsPerBatch, partitions, name } = options;
  if (decode !== undefined && typeof decode !== 'function') {
    throw new InvalidGraphError(`${where}: decode must be a function (bytes, key) => records`);
  }
  if (existing !== undefined && existing !== 'skip' && existing !== 'read') {
    throw new InvalidGraphError(
      `${where}: existing must be 'skip' or 'read', got ${JSON.stringify(existing)}`,
    );
  }
  if (
    maxObjectsPerBatch !== undefined &&
    !(Number.isSafeInteger(maxObjectsPerBatch) && maxObjectsPerBatch > 0)
  ) {
    throw new InvalidGraphError(
      `${where}: maxObjectsPerBatch must be a positive whole number, got ${maxObjectsPerBatch}`,
    );
  }
  const streamName = name ?? `files-${ssc.graph.streams.length}`;
  const source = new ObjectStreamSource<T>(streamName, storeAt(location, 'fileStream location'), {
    format: decode ? undefined : checkObjectFormat(format ?? 'lines', where),
    decode,
    lookbackMs: toMillis(lookback ?? '10m', `${where} lookback`),
    existing,
    maxObjectsPerBatch,
  });
  return ssc.inputStream(source, { partitions, name: streamName });
}
