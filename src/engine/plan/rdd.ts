/**
 * RDD as the engine and driver code see it: the base class with the pair operations added, as Spark
 * adds PairRDDFunctions to an RDD of pairs. Importing RDD from here guarantees every dataset has them.
 */
import { addMethods } from '../util/add-methods';
import { AsyncRDDOperations } from './async-operations';
import { PairRDDOperations } from './pair-rdd-operations';
import { RDD } from './rdd-base';

declare module './rdd-base' {
  interface RDD<T> extends PairRDDOperations, AsyncRDDOperations<T> {}
}

addMethods(RDD, [PairRDDOperations, AsyncRDDOperations]);

export type { AsyncPartitionFunction, AsyncRecordFunction, MapAsyncOptions } from './async-operations';
export { type ActionRunner, checkPartitions, type Pair } from './rdd-base';
export { RDD };
