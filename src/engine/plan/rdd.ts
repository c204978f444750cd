/**
 * RDD as the engine and driver code see it: the base class with the groups of operations added, as
 * Spark adds PairRDDFunctions to an RDD of pairs. Importing RDD from here guarantees every dataset has them.
 */
import { addMethods } from '../util/add-methods';
import { AsyncRDDOperations } from './async-operations';
import { OrderingOperations } from './ordering-operations';
import { PairRDDOperations } from './pair-rdd-operations';
import { RDDActions } from './rdd-actions';
import { RDD } from './rdd-base';
import { SampleOperations } from './sample-operations';
import { SetOperations } from './set-operations';

declare module './rdd-base' {
  interface RDD<T>
    extends PairRDDOperations,
      OrderingOperations,
      SetOperations,
      SampleOperations,
      RDDActions,
      AsyncRDDOperations<T> {}
}

addMethods(RDD, [
  PairRDDOperations,
  OrderingOperations,
  SetOperations,
  SampleOperations,
  RDDActions,
  AsyncRDDOperations,
]);

export type { AsyncPartitionFunction, AsyncRecordFunction, MapAsyncOptions } from './async-operations';
export type { SortOptions } from './ordering-operations';
export { type ActionRunner, checkPartitions, countRdd, type Pair, reduceRdd } from './rdd-base';
export { RDD };
