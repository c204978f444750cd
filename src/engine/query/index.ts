export * from './errors';
export { formatJson, formatTable } from './format';
export { type SnapshotOptions, snapshot } from './snapshot';
