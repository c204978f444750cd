export * from './codec';
export * from './errors';
export * from './record-isolation';
export * from './shuffle-writer';
export * from './store-task-context';
export * from './task-runner';
export * from './task-spec';
