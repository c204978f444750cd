/** sluice: discretized streams on serverless functions. */
export * from './api';
export type { BatchJob, Sink, SinkBatchInfo, SinkPartitionInfo } from './graph';
export { GraphError, InvalidGraphError } from './graph';
export { ManualClock, SystemClock } from './io/clock';
export * from './io/dataset-errors';
export { FsStore } from './io/fs-store';
export { type ByteLog, MemoryByteSource, type MemoryByteSourceOptions } from './io/memory-byte-source';
export { MemoryStore } from './io/memory-store';
export type { ObjectDecoder, ObjectFormat } from './io/object-formats';
export type { Clock, Invoker, Source, SourceBatch, SourceRange, Store, StoreEntry } from './io/ports';
export {
  ActionNotAvailableError,
  type Compare,
  compareValues,
  EmptyCollectionError,
  type Pair,
  RDD,
  type SortOptions,
  UserFunctionError,
} from './plan';
export * from './query';
export {
  type BatchCompleted,
  type BatchFailed,
  BatchFailedError,
  type BatchInfo,
  type BatchManifest,
  type BatchSubmitted,
  type CoordinatorNotice,
  readManifest,
  type SpeculativeTaskLaunched,
  type StageCompleted,
  type StreamingListener,
  type StreamingStarted,
  type StreamingStopped,
  type TaskFailed,
  TaskFailedError,
} from './schedule';
export { BytePattern, containsBytes, indexOfBytes, splitBytes, utf8Bytes } from './util/bytes';
export { ByteKeyInterner } from './util/bytes-interner';
export { type Duration, toMillis } from './util/duration';
export { ConfigError, SluiceError } from './util/errors';
