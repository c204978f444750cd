import {
  type KeyState,
  type MapWithStateRow,
  mapWithStateFunction,
  StateDStream,
  updateStateByKeyFunction,
} from '../graph';
import { checkPartitions, type Pair } from '../plan';
import { type Duration, toMillis } from '../util/duration';
import { type DStream, derived } from './dstream-base';

export interface StateOptions<K, S> {
  /** State of some keys before the first batch. */
  initial?: readonly Pair<K, S>[];
  partitions?: number;
}

export interface MapWithStateOptions<K, S> extends StateOptions<K, S> {
  /** A key without new values for this long gets one last call (isTimingOut) and its state is removed. */
  timeout?: Duration;
}

/** mapWithState's output, plus the full state after every batch. */
export type MapWithStateStream<K, S, U> = DStream<U> & { stateSnapshots(): DStream<Pair<K, S>> };

/** Per-key state carried from batch to batch. */
export class StateOperations {
  /**
   * Per-key state across batches: `update(newValues, state)` runs every batch for every key that has
   * state or new values; returning undefined removes the key.
   */
  updateStateByKey<K, V, S>(
    this: DStream<Pair<K, V>>,
    update: (values: V[], state: S | undefined) => S | undefined,
    options: StateOptions<K, S> = {},
  ): DStream<Pair<K, S>> {
    const partitions = options.partitions ?? this.context.defaultPartitions;
    checkPartitions(partitions, 'updateStateByKey');
    const node = new StateDStream<K, V, Pair<K, S>>(this.context.graph, this.node, {
      operator: 'updateStateByKey',
      partitions,
      update: updateStateByKeyFunction<K, V, S>(update),
      initialRows: options.initial as Pair<K, unknown>[] | undefined,
    });
    return derived(this, node);
  }

  /**
   * Per-key state with per-record output: `fn(key, value, state)` runs for each new value and returns
   * what to emit (or undefined). Keys idle for `timeout` get one more call with `state.isTimingOut()`.
   */
  mapWithState<K, V, S, U>(
    this: DStream<Pair<K, V>>,
    fn: (key: K, value: V | undefined, state: KeyState<S>) => U | undefined,
    options: MapWithStateOptions<K, S> = {},
  ): MapWithStateStream<K, S, U> {
    const partitions = options.partitions ?? this.context.defaultPartitions;
    checkPartitions(partitions, 'mapWithState');
    const timeoutMs =
      options.timeout === undefined ? undefined : toMillis(options.timeout, 'mapWithState timeout');
    const stateNode = new StateDStream<K, V, MapWithStateRow<K, S, U>>(this.context.graph, this.node, {
      operator: 'mapWithState',
      partitions,
      update: mapWithStateFunction(fn, timeoutMs),
      initialRows: options.initial as Pair<K, unknown>[] | undefined,
      toInitialRow: ([key, state], zeroTime) => [key, state as S, zeroTime, []],
    });
    const rows = derived(this, stateNode);
    const mapped = rows.flatMap((row) => row[3]);
    return Object.assign(mapped, {
      stateSnapshots: () =>
        rows.flatMap((row): Pair<K, S>[] => (row[1] === undefined ? [] : [[row[0], row[1]]])),
    });
  }
}
