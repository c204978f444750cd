/**
 * Stable hashing and key identity for partitioning and grouping. The result must be the same in every
 * process and on every machine, so nothing here may depend on object identity or insertion order of
 * anything but the value itself.
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** 32-bit FNV-1a over UTF-16 code units, with a final avalanche so low bits spread well. */
export function hashString(s: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, FNV_PRIME);
  }
  return avalanche(h);
}

function avalanche(hash: number): number {
  let h = hash;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A primitive that identifies a key in a Map: primitives stand for themselves (fast path), anything else
 * is canonicalised to a string so that equal arrays or objects group together.
 */
export function keyIdentity(key: unknown): unknown {
  switch (typeof key) {
    case 'string':
      // Strings starting with NUL are escaped so they cannot spell the identity of an object key.
      return key.charCodeAt(0) === 0 ? `\u0000s${key}` : key;
    case 'number':
    case 'boolean':
    case 'bigint':
      return key;
    case 'undefined':
      return key;
    default:
      return key === null ? null : `\u0000o${canonicalJson(key)}`;
  }
}

export function hashKey(key: unknown): number {
  switch (typeof key) {
    case 'string':
      return hashString(key);
    case 'number':
      return Number.isInteger(key) && key >= -0x80000000 && key <= 0x7fffffff
        ? hashInt32(key)
        : hashString(`n${key}`);
    case 'boolean':
      return key ? 1 : 2;
    case 'undefined':
      return 3;
    case 'bigint':
      return hashString(`b${key}`);
    default:
      return key === null ? 0 : hashString(canonicalJson(key));
  }
}

/** Digits of an int32, least significant first; reused, since hashing runs on one thread at a time. */
const digits = new Uint8Array(10);

/** Exactly `hashString(\`i${n}\`)` for an int32 `n`, without making the string (integer keys are common). */
function hashInt32(n: number): number {
  let h = Math.imul(FNV_OFFSET ^ 0x69, FNV_PRIME); // 'i'
  if (n < 0) h = Math.imul(h ^ 0x2d, FNV_PRIME); // '-'
  let rest = Math.abs(n);
  let count = 0;
  do {
    digits[count++] = rest % 10;
    rest = Math.floor(rest / 10);
  } while (rest > 0);
  while (count > 0) h = Math.imul(h ^ (0x30 + digits[--count]), FNV_PRIME);
  return avalanche(h);
}

/** Deterministic partition of a key among `partitions` (non-negative modulo). */
export function partitionOf(key: unknown, partitions: number): number {
  return hashKey(key) % partitions;
}

/** JSON with object keys sorted, so that `{a,b}` and `{b,a}` are the same key. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    return typeof value === 'bigint' ? `"${value}n"` : (JSON.stringify(value) ?? 'null');
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  const keys = Object.keys(value as object).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
}
