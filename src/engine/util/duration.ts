import { ConfigError } from './errors';

/** A duration in milliseconds, or a string such as `'2s'`, `'500ms'`, `'1m'`, `'1h'`. */
export type Duration = number | string;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses a duration and requires it to be a positive whole number of milliseconds. */
export function toMillis(duration: Duration, what = 'duration'): number {
  let ms: number;
  if (typeof duration === 'number') {
    ms = duration;
  } else if (typeof duration === 'string') {
    const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/.exec(duration);
    if (!match) {
      throw new ConfigError(
        `${what} '${duration}' is not a duration: use milliseconds (1000) or a string like '500ms', '2s', '1m', '1h'`,
        { what, duration },
      );
    }
    ms = Number(match[1]) * UNIT_MS[match[2]];
  } else {
    throw new ConfigError(
      `${what} must be a number of milliseconds or a string like '2s', got ${typeof duration}`,
      {
        what,
      },
    );
  }
  if (!Number.isFinite(ms) || ms <= 0 || !Number.isInteger(ms)) {
    throw new ConfigError(
      `${what} must be a positive whole number of milliseconds, got ${String(duration)}`,
      {
        what,
        duration,
      },
    );
  }
  return ms;
}

export function formatMillis(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
