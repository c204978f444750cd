export * from './batch-context';
export * from './batch-job';
export * from './dataset';
export * from './dstream';
export * from './job';
export * from './store-sink';
export * from './streaming-context';
export * from './windows';
