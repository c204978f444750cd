export { BUCKET_STAGING_PREFIX, type BucketSinkOptions, bucketSink, hivePartition } from './bucket-sink';
export * from './dstream';
export type { FileStreamOptions } from './file-streams';
export * from './job';
export * from './store-sink';
export * from './streaming-context';
export * from './windows';
