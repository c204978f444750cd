import type { LineageNode } from './lineage';
import { CoGroupedNode } from './nodes/cogrouped-node';
import { flatMapValuesStep, mapValuesStep } from './nodes/record-steps';
import {
  checkPartitions,
  derived,
  narrowed,
  type Pair,
  type RDD,
  recorded,
  reducedByKey,
  shuffledByKey,
} from './rdd-base';
import { freshZero } from './zero-value';

/** Operations on datasets of `[key, value]` pairs (Spark's PairRDDFunctions). */
export class PairRDDOperations {
  mapValues<K, V, W>(this: RDD<Pair<K, V>>, f: (value: V) => W): RDD<Pair<K, W>> {
    return recorded(this, 'mapValues', mapValuesStep(f), true);
  }

  flatMapValues<K, V, W>(this: RDD<Pair<K, V>>, f: (value: V) => Iterable<W>): RDD<Pair<K, W>> {
    return recorded(this, 'flatMapValues', flatMapValuesStep(f), true);
  }

  /** Merges the values of each key with an associative, commutative `f`, combining on the map side first. */
  reduceByKey<K, V>(this: RDD<Pair<K, V>>, f: (a: V, b: V) => V, partitions?: number): RDD<Pair<K, V>> {
    return reducedByKey(this, 'reduceByKey', f, partitions);
  }

  combineByKey<K, V, C>(
    this: RDD<Pair<K, V>>,
    createCombiner: (value: V) => C,
    mergeValue: (combiner: C, value: V) => C,
    mergeCombiners: (a: C, b: C) => C,
    partitions?: number,
  ): RDD<Pair<K, C>> {
    return shuffledByKey(
      this,
      'combineByKey',
      { createCombiner, mergeValue, mergeCombiners },
      true,
      partitions,
    );
  }

  /**
   * Per key, the values folded into a copy of `zero` with `seqOp`, and the partial results of different
   * partitions merged with `combOp` (Spark's aggregateByKey). `zero` is copied for every key, so `seqOp`
   * may change its accumulator in place.
   */
  aggregateByKey<K, V, U>(
    this: RDD<Pair<K, V>>,
    zero: U,
    seqOp: (accumulator: U, value: V) => U,
    combOp: (a: U, b: U) => U,
    partitions?: number,
  ): RDD<Pair<K, U>> {
    freshZero(zero, 'aggregateByKey'); // a zero that cannot be copied fails here, not in a task
    return shuffledByKey(
      this,
      'aggregateByKey',
      {
        createCombiner: (v) => seqOp(freshZero(zero, 'aggregateByKey'), v),
        mergeValue: seqOp,
        mergeCombiners: combOp,
      },
      true,
      partitions,
    );
  }

  /** Per key, the values folded with an associative `f`, starting from a copy of `zero` (Spark's foldByKey). */
  foldByKey<K, V>(
    this: RDD<Pair<K, V>>,
    zero: V,
    f: (a: V, b: V) => V,
    partitions?: number,
  ): RDD<Pair<K, V>> {
    freshZero(zero, 'foldByKey');
    return shuffledByKey(
      this,
      'foldByKey',
      { createCombiner: (v) => f(freshZero(zero, 'foldByKey'), v), mergeValue: f, mergeCombiners: f },
      true,
      partitions,
    );
  }

  groupByKey<K, V>(this: RDD<Pair<K, V>>, partitions?: number): RDD<Pair<K, V[]>> {
    // No map-side combine: grouping does not shrink the data, it would only copy it.
    return shuffledByKey<K, V, V[]>(
      this,
      'groupByKey',
      {
        createCombiner: (v) => [v],
        mergeValue: (c, v) => {
          c.push(v);
          return c;
        },
        mergeCombiners: (a, b) => a.concat(b),
      },
      false,
      partitions,
    );
  }

  /** `[key, [values from this, values from other]]` for every key in either. */
  cogroup<K, V, W>(
    this: RDD<Pair<K, V>>,
    other: RDD<Pair<K, W>>,
    partitions?: number,
  ): RDD<Pair<K, [V[], W[]]>> {
    const count = partitions ?? Math.max(this.numPartitions, other.numPartitions);
    checkPartitions(count, 'cogroup');
    return derived(
      this,
      () => new CoGroupedNode<K>([this.node as LineageNode<Pair<K, unknown>>, other.node], count),
    ) as unknown as RDD<Pair<K, [V[], W[]]>>;
  }

  join<K, V, W>(this: RDD<Pair<K, V>>, other: RDD<Pair<K, W>>, partitions?: number): RDD<Pair<K, [V, W]>> {
    return joined(this, 'join', other, partitions, false, false) as RDD<Pair<K, [V, W]>>;
  }

  leftOuterJoin<K, V, W>(
    this: RDD<Pair<K, V>>,
    other: RDD<Pair<K, W>>,
    partitions?: number,
  ): RDD<Pair<K, [V, W | null]>> {
    return joined(this, 'leftOuterJoin', other, partitions, false, true) as RDD<Pair<K, [V, W | null]>>;
  }

  rightOuterJoin<K, V, W>(
    this: RDD<Pair<K, V>>,
    other: RDD<Pair<K, W>>,
    partitions?: number,
  ): RDD<Pair<K, [V | null, W]>> {
    return joined(this, 'rightOuterJoin', other, partitions, true, false) as RDD<Pair<K, [V | null, W]>>;
  }

  fullOuterJoin<K, V, W>(
    this: RDD<Pair<K, V>>,
    other: RDD<Pair<K, W>>,
    partitions?: number,
  ): RDD<Pair<K, [V | null, W | null]>> {
    return joined(this, 'fullOuterJoin', other, partitions, true, true);
  }
}

/** A join as a cogroup followed by the pairing of each key's values; `keep*Missing` makes it outer. */
function joined<K, V, W>(
  left: RDD<Pair<K, V>>,
  operator: string,
  right: RDD<Pair<K, W>>,
  partitions: number | undefined,
  keepLeftMissing: boolean,
  keepRightMissing: boolean,
): RDD<Pair<K, [V | null, W | null]>> {
  return narrowed(
    left.cogroup(right, partitions),
    operator,
    (groups) => {
      const out: Pair<K, [V | null, W | null]>[] = [];
      for (const [key, [lefts, rights]] of groups) {
        if (lefts.length === 0) {
          if (keepLeftMissing) for (const r of rights) out.push([key, [null, r]]);
        } else if (rights.length === 0) {
          if (keepRightMissing) for (const l of lefts) out.push([key, [l, null]]);
        } else {
          for (const l of lefts) for (const r of rights) out.push([key, [l, r]]);
        }
      }
      return out;
    },
    true,
  );
}
