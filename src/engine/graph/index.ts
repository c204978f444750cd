export * from './dstream-graph';
export * from './dstream-node';
export * from './errors';
export * from './input-dstream';
export * from './output-dstream';
export * from './sink';
export * from './transformed-dstream';
export * from './union-dstream';
