import { InvalidGraphError } from '../graph';
import { type Duration, formatMillis, toMillis } from '../util/duration';

export interface WindowOptions {
  /** Length of the window: a multiple of the stream's slide (the batch interval for input streams). */
  window: Duration;
  /**
   * How often the window is computed (default: the stream's slide). A slide longer than the window makes
   * a hopping window: the batches between two windows are in none, as in Spark.
   */
  slide?: Duration;
}

/** Checks a window definition and returns it in milliseconds, with messages that say how to fix it. */
export function windowDurations(
  operator: string,
  options: WindowOptions & Record<string, unknown>,
  parentSlideMs: number,
  allowed: readonly string[],
): { windowMs: number; slideMs: number } {
  if (typeof options !== 'object' || options === null || options.window === undefined) {
    throw new InvalidGraphError(
      `${operator} needs { window } (and optionally slide), e.g. { window: '30s', slide: '10s' }`,
      {
        operator,
      },
    );
  }
  for (const key of Object.keys(options)) {
    if (key !== 'window' && key !== 'slide' && !allowed.includes(key)) {
      const hint =
        key === 'inverse' || key === 'filter'
          ? '; incremental windows are reduceByWindow and reduceByKeyAndWindow'
          : '';
      throw new InvalidGraphError(`${operator} does not take '${key}'${hint}`, { operator, option: key });
    }
  }
  if (options.filter !== undefined && options.inverse === undefined) {
    throw new InvalidGraphError(
      `${operator}: 'filter' only applies with 'inverse' (it drops keys the inverse brought back to neutral)`,
      {
        operator,
      },
    );
  }
  const windowMs = toMillis(options.window, `${operator} window`);
  const slideMs = options.slide === undefined ? parentSlideMs : toMillis(options.slide, `${operator} slide`);
  const unit = formatMillis(parentSlideMs);
  if (windowMs % parentSlideMs !== 0) {
    throw new InvalidGraphError(
      `${operator}: window ${formatMillis(windowMs)} is not a multiple of the stream's interval ${unit}`,
      {
        operator,
        windowMs,
        parentSlideMs,
      },
    );
  }
  if (slideMs % parentSlideMs !== 0) {
    throw new InvalidGraphError(
      `${operator}: slide ${formatMillis(slideMs)} is not a multiple of the stream's interval ${unit}`,
      {
        operator,
        slideMs,
        parentSlideMs,
      },
    );
  }
  return { windowMs, slideMs };
}
