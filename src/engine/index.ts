/**
 * sluice: discretized streams on serverless functions. Everything a job, a test or driver code needs is
 * exported here: `import { defineJob, type Pair, type KeyState } from 'sluice'`.
 */
export * from './api';
export type { AsyncPartitionFunction, AsyncRecordFunction, MapAsyncOptions } from './api/async-operations';
export { PoisonRecordError } from './exec/errors';
export type { PoisonDeadLetters, PoisonRecord } from './exec/poison-dead-letters';
export type { RecordPosition } from './exec/record-positions';
export type {
  BatchJob,
  KeyState,
  RecordErrorMode,
  RecordErrorOption,
  Sink,
  SinkBatchInfo,
  SinkPartitionInfo,
} from './graph';
export {
  GraphError,
  InvalidGraphError,
  NotRememberedError,
  StateAccessError,
  TransformError,
} from './graph';
export { ManualClock, SystemClock } from './io/clock';
export * from './io/dataset-errors';
export type { DecoderName, RecordDecoder, RecordMeta } from './io/decoders';
export { FsStore } from './io/fs-store';
export type { GeneratorOptions } from './io/generator-source';
export type { StartingPosition, TrimmedPolicy } from './io/kinesis-source';
export { type ByteLog, MemoryByteSource, type MemoryByteSourceOptions } from './io/memory-byte-source';
export { MemoryStore } from './io/memory-store';
export type { ObjectDecoder, ObjectFormat } from './io/object-formats';
export type {
  Clock,
  DeadLetter,
  Invoker,
  Source,
  SourceBatch,
  SourceRange,
  Store,
  StoreEntry,
} from './io/ports';
export { storeFrom } from './io/store-location';
export {
  ActionNotAvailableError,
  AsyncRecordError,
  type Compare,
  compareValues,
  EmptyCollectionError,
  type Pair,
  PlanError,
  PromiseReturnedError,
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
