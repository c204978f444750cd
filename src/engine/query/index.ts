export * from './errors';
export { type SnapshotOptions, snapshot } from './snapshot';
