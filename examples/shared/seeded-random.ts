/**
 * Deterministic randomness from a record's position: the same index gives the same draws in every
 * process (generator, tasks, Kinesis producer, tests), so any interval can be replayed.
 */

/** A uniform number in [0, 1) from an index and a salt (which draw of that record). */
export function uniform(index: number, salt: number): number {
  let x = Math.imul(index ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(salt + 1, 0xc2b2ae35);
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  x ^= x >>> 16;
  return (x >>> 0) / 0x100000000;
}

/** A standard normal draw (Box-Muller) from two uniforms of the same record. */
export function normal(index: number, salt: number): number {
  const u = Math.max(uniform(index, salt), Number.EPSILON);
  const v = uniform(index, salt + 1);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** An index into `weights` chosen with probability proportional to its weight. */
export function weightedPick(weights: readonly number[], u: number): number {
  const total = weights.reduce((a, b) => a + b, 0);
  let target = u * total;
  for (let i = 0; i < weights.length; i++) {
    target -= weights[i];
    if (target < 0) return i;
  }
  return weights.length - 1;
}
