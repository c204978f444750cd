import { checkPartitions, type Pair } from '../plan';
import { type DStream, transformed, transformedWith } from './dstream-base';

/** Per-batch operations on streams of `[key, value]` pairs (Spark's PairDStreamFunctions). */
export class PairOperations {
  mapValues<K, V, W>(this: DStream<Pair<K, V>>, f: (value: V) => W): DStream<Pair<K, W>> {
    return transformed(this, 'mapValues', (rdd) => rdd.mapValues(f));
  }

  flatMapValues<K, V, W>(this: DStream<Pair<K, V>>, f: (value: V) => Iterable<W>): DStream<Pair<K, W>> {
    return transformed(this, 'flatMapValues', (rdd) => rdd.flatMapValues(f));
  }

  reduceByKey<K, V>(
    this: DStream<Pair<K, V>>,
    f: (a: V, b: V) => V,
    partitions = this.context.defaultPartitions,
  ): DStream<Pair<K, V>> {
    checkPartitions(partitions, 'reduceByKey');
    return transformed(this, 'reduceByKey', (rdd) => rdd.reduceByKey(f, partitions));
  }

  combineByKey<K, V, C>(
    this: DStream<Pair<K, V>>,
    createCombiner: (value: V) => C,
    mergeValue: (combiner: C, value: V) => C,
    mergeCombiners: (a: C, b: C) => C,
    partitions = this.context.defaultPartitions,
  ): DStream<Pair<K, C>> {
    checkPartitions(partitions, 'combineByKey');
    return transformed(this, 'combineByKey', (rdd) =>
      rdd.combineByKey(createCombiner, mergeValue, mergeCombiners, partitions),
    );
  }

  groupByKey<K, V>(
    this: DStream<Pair<K, V>>,
    partitions = this.context.defaultPartitions,
  ): DStream<Pair<K, V[]>> {
    checkPartitions(partitions, 'groupByKey');
    return transformed(this, 'groupByKey', (rdd) => rdd.groupByKey(partitions));
  }

  cogroup<K, V, W>(
    this: DStream<Pair<K, V>>,
    other: DStream<Pair<K, W>>,
    partitions = this.context.defaultPartitions,
  ): DStream<Pair<K, [V[], W[]]>> {
    checkPartitions(partitions, 'cogroup');
    return transformedWith(this, 'cogroup', other, (a, b) => a.cogroup(b, partitions));
  }

  join<K, V, W>(
    this: DStream<Pair<K, V>>,
    other: DStream<Pair<K, W>>,
    partitions = this.context.defaultPartitions,
  ): DStream<Pair<K, [V, W]>> {
    checkPartitions(partitions, 'join');
    return transformedWith(this, 'join', other, (a, b) => a.join(b, partitions));
  }

  leftOuterJoin<K, V, W>(
    this: DStream<Pair<K, V>>,
    other: DStream<Pair<K, W>>,
    partitions = this.context.defaultPartitions,
  ): DStream<Pair<K, [V, W | null]>> {
    checkPartitions(partitions, 'leftOuterJoin');
    return transformedWith(this, 'leftOuterJoin', other, (a, b) => a.leftOuterJoin(b, partitions));
  }

  rightOuterJoin<K, V, W>(
    this: DStream<Pair<K, V>>,
    other: DStream<Pair<K, W>>,
    partitions = this.context.defaultPartitions,
  ): DStream<Pair<K, [V | null, W]>> {
    checkPartitions(partitions, 'rightOuterJoin');
    return transformedWith(this, 'rightOuterJoin', other, (a, b) => a.rightOuterJoin(b, partitions));
  }

  fullOuterJoin<K, V, W>(
    this: DStream<Pair<K, V>>,
    other: DStream<Pair<K, W>>,
    partitions = this.context.defaultPartitions,
  ): DStream<Pair<K, [V | null, W | null]>> {
    checkPartitions(partitions, 'fullOuterJoin');
    return transformedWith(this, 'fullOuterJoin', other, (a, b) => a.fullOuterJoin(b, partitions));
  }
}
