import { ReducedWindowedDStream, WindowedDStream } from '../graph';
import { checkPartitions, type Pair } from '../plan';
import { type DStream, derived } from './dstream-base';
import { type WindowOptions, windowDurations } from './windows';

// Functions in options are declared as methods so that DStream<T> stays assignable like any container.
export interface ReduceWindowOptions<T> extends WindowOptions {
  /** Undoes `f`: inverse(f(a, b), b) === a. Makes the window incremental. */
  inverse?(a: T, b: T): T;
}

export interface ReduceByKeyWindowOptions<K, V> extends ReduceWindowOptions<V> {
  /** With `inverse`: keeps only the entries for which it returns true. */
  filter?(entry: Pair<K, V>): boolean;
  partitions?: number;
}

/**
 * Operations over a sliding window of a stream's batches. A window longer than its slide overlaps the
 * previous one; a slide longer than the window hops, and the batches between two windows are in none.
 */
export class WindowOperations<T> {
  /** Every `slide`, the union of the stream's batches over the last `window`. */
  window(this: DStream<T>, options: WindowOptions): DStream<T> {
    const { windowMs, slideMs } = windowDurations('window', options as never, this.slideMs, []);
    return derived(this, new WindowedDStream(this.context.graph, this.node, windowMs, slideMs));
  }

  /**
   * All elements of the window reduced with `f`. With `inverse` (a - b undoing a + b) the window is
   * updated incrementally from the previous one.
   */
  reduceByWindow(this: DStream<T>, f: (a: T, b: T) => T, options: ReduceWindowOptions<T>): DStream<T> {
    windowDurations('reduceByWindow', options as never, this.slideMs, ['inverse']);
    if (options.inverse) {
      return this.map((value): Pair<number, T> => [0, value])
        .reduceByKeyAndWindow(f, {
          window: options.window,
          slide: options.slide,
          inverse: options.inverse,
          partitions: 1,
        })
        .map((pair) => pair[1]);
    }
    return this.reduce(f).window({ window: options.window, slide: options.slide }).reduce(f);
  }

  /**
   * Number of elements in the window, kept incrementally. A hopping window (slide longer than the window)
   * shares no batch with the previous one, so it is counted afresh: 0 for a window with no elements.
   */
  countByWindow(this: DStream<T>, options: WindowOptions): DStream<number> {
    const durations = windowDurations('countByWindow', options as never, this.slideMs, []);
    if (isHopping(durations)) return this.window(options).count();
    return this.map(() => 1).reduceByWindow((a, b) => a + b, { ...options, inverse: (a, b) => a - b });
  }

  /** `[value, occurrences in the window]`; values whose count fell to 0 are dropped. */
  countByValueAndWindow(
    this: DStream<T>,
    options: WindowOptions & { partitions?: number },
  ): DStream<Pair<T, number>> {
    windowDurations('countByValueAndWindow', options as never, this.slideMs, ['partitions']);
    return this.map((value): Pair<T, number> => [value, 1]).reduceByKeyAndWindow((a, b) => a + b, {
      ...options,
      inverse: (a, b) => a - b,
      filter: (entry) => entry[1] !== 0,
    });
  }

  groupByKeyAndWindow<K, V>(
    this: DStream<Pair<K, V>>,
    options: WindowOptions & { partitions?: number },
  ): DStream<Pair<K, V[]>> {
    windowDurations('groupByKeyAndWindow', options as never, this.slideMs, ['partitions']);
    const partitions = options.partitions ?? this.context.defaultPartitions;
    checkPartitions(partitions, 'groupByKeyAndWindow');
    return this.groupByKey(partitions)
      .window({ window: options.window, slide: options.slide })
      .combineByKey<K, V[], V[]>(
        (values) => [...values],
        (all, values) => all.concat(values),
        (a, b) => a.concat(b),
        partitions,
      );
  }

  /**
   * Values of each key reduced over the window. With `inverse`, the window is the previous window plus
   * the batches that entered minus those that left (reads two slices per batch, whatever the window);
   * keys whose value returned to neutral stay unless `filter` drops them. A hopping window (slide longer
   * than the window) shares nothing with the previous one, so it is reduced from its own batches (the
   * inverse is not needed and keys of earlier windows do not carry over); `filter` still applies.
   */
  reduceByKeyAndWindow<K, V>(
    this: DStream<Pair<K, V>>,
    f: (a: V, b: V) => V,
    options: ReduceByKeyWindowOptions<K, V>,
  ): DStream<Pair<K, V>> {
    const { windowMs, slideMs } = windowDurations('reduceByKeyAndWindow', options as never, this.slideMs, [
      'inverse',
      'filter',
      'partitions',
    ]);
    const partitions = options.partitions ?? this.context.defaultPartitions;
    checkPartitions(partitions, 'reduceByKeyAndWindow');
    const reduced = this.reduceByKey(f, partitions);
    if (!options.inverse || isHopping({ windowMs, slideMs })) {
      const window = reduced
        .window({ window: options.window, slide: options.slide })
        .reduceByKey(f, partitions);
      const { filter } = options;
      return filter ? window.filter((entry) => filter(entry)) : window;
    }
    const node = new ReducedWindowedDStream<K, V>(
      this.context.graph,
      reduced.node,
      windowMs,
      slideMs,
      partitions,
      {
        reduce: f,
        inverse: options.inverse,
        filter: options.filter,
      },
    );
    return derived(this, node);
  }
}

/** True when the slide is longer than the window, so consecutive windows share no batch. */
function isHopping({ windowMs, slideMs }: { windowMs: number; slideMs: number }): boolean {
  return slideMs > windowMs;
}
