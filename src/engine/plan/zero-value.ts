import { ConfigError } from '../util/errors';

/**
 * A fresh copy of a zero value for one partition or key. seqOp may change its accumulator in place
 * (push into an array, say), so sharing one zero object would leak rows between keys and partitions;
 * Spark copies the zero value by serialization for the same reason.
 */
export function freshZero<U>(zero: U, operator: string): U {
  if (typeof zero !== 'object' || zero === null) return zero;
  try {
    return structuredClone(zero);
  } catch (cause) {
    throw new ConfigError(
      `${operator}: the zero value cannot be copied (${cause instanceof Error ? cause.message : cause}); ` +
        'pass plain data (numbers, strings, arrays, plain objects), not functions or class instances with them',
      { operator },
      { cause },
    );
  }
}
