/**
 * DStream as users see it: the base class with the pair, window, state and output operations added, as
 * Spark adds PairDStreamFunctions to a stream of pairs. Importing DStream from here guarantees every
 * stream has them.
 */
import { addMethods } from '../util/add-methods';
import { AsyncOperations } from './async-operations';
import { DatasetOperations } from './dataset-operations';
import { DStream } from './dstream-base';
import { NamingOperations } from './naming';
import { OutputOperations } from './output-operations';
import { PairOperations } from './pair-operations';
import { PartitionOutputOperations } from './partition-output';
import { StateOperations } from './state-operations';
import { WindowOperations } from './window-operations';

declare module './dstream-base' {
  interface DStream<T>
    extends PairOperations,
      WindowOperations<T>,
      StateOperations,
      OutputOperations<T>,
      PartitionOutputOperations<T>,
      DatasetOperations,
      NamingOperations,
      AsyncOperations<T> {}
}

addMethods(DStream, [
  PairOperations,
  WindowOperations,
  StateOperations,
  OutputOperations,
  PartitionOutputOperations,
  DatasetOperations,
  NamingOperations,
  AsyncOperations,
]);

export type { JoinDatasetOptions } from './dataset-operations';
export type { PartitionAction } from './partition-output';
export type { MapWithStateOptions, MapWithStateStream, StateOptions } from './state-operations';
export type { ReduceByKeyWindowOptions, ReduceWindowOptions } from './window-operations';
export { DStream };
