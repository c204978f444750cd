/**
 * RDD as the engine and driver code see it: the base class with the pair operations added, as Spark
 * adds PairRDDFunctions to an RDD of pairs. Importing RDD from here guarantees every dataset has them.
 */
import { addMethods } from '../util/add-methods';
import { PairRDDOperations } from './pair-rdd-operations';
import { RDD } from './rdd-base';

declare module './rdd-base' {
  interface RDD<T> extends PairRDDOperations {}
}

addMethods(RDD, [PairRDDOperations]);

export { type ActionRunner, checkPartitions, type Pair } from './rdd-base';
export { RDD };
