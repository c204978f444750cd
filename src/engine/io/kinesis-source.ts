/**
 * Kinesis Data Streams as a replayable source. The implementation lives in ./kinesis/ (one concern per
 * file); this module keeps the import path importers use.
 */
export type { KinesisSender } from './kinesis/calls';
export type { KinesisSourceOptions, StartingPosition } from './kinesis/options';
export {
  DEFAULT_MAX_BYTES_PER_SHARD,
  DEFAULT_MAX_RECORDS_PER_SHARD,
  DEFAULT_READ_CONCURRENCY,
} from './kinesis/options';
export { KinesisSource } from './kinesis/source';
export type { TrimmedPolicy } from './kinesis/trimmed-position';
