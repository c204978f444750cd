export * from './errors';
export * from './keys';
export * from './lineage';
export { BroadcastJoinNode, type BroadcastTable } from './nodes/broadcast-join-node';
export { CheckpointNode } from './nodes/checkpoint-node';
export { CoGroupedNode } from './nodes/cogrouped-node';
export { type DatasetLayout, DatasetNode, type DatasetPartitions } from './nodes/dataset-node';
export { EmptyNode } from './nodes/empty-node';
export { NarrowNode, type PartitionFunction } from './nodes/narrow-node';
export { ParallelPairsNode } from './nodes/parallel-node';
export { RecordNode, type RecordStep } from './nodes/record-node';
export { ShuffledNode } from './nodes/shuffled-node';
export { type SideInputFunction, SideInputNode } from './nodes/side-input-node';
export { SourceNode } from './nodes/source-node';
export { type GroupedValues, StateNode, type StateUpdate } from './nodes/state-node';
export { UnionNode } from './nodes/union-node';
export { type Compare, compareValues } from './ordering';
export {
  type ActionRunner,
  checkPartitions,
  countRdd,
  type Pair,
  RDD,
  reduceRdd,
  type SortOptions,
} from './rdd';
export * from './scope';
