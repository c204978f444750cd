export * from './errors';
export * from './job-catalog';
export * from './job-state';
export * from './layout';
export * from './lease';
export * from './manifest';
export * from './source-dead-letters';
