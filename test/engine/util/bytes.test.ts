/**
 * The byte-level record helpers give the string path's answers: `containsBytes(p)(r)` is
 * `utf8(r).includes(p)` and `splitBytes(s)(r)` is `utf8(r).split(s)`, over random text including
 * multi-byte UTF-8, byte order marks and separators of several bytes; a record that is not valid UTF-8
 * fails in both.
 */
import fc from 'fast-check';
import { utf8 } from '../../../src/engine/io/decoders';
import {
  BytePattern,
  containsBytes,
  hashBytes,
  indexOfBytes,
  splitBytes,
  utf8Bytes,
} from '../../../src/engine/util/bytes';
import { ByteKeyInterner } from '../../../src/engine/util/bytes-interner';
import { ConfigError } from '../../../src/engine/util/errors';

const RUNS = 300;

// Few distinct characters, so patterns and separators occur often; 1-, 2-, 3- and 4-byte UTF-8 and a BOM.
const charArb = fc.constantFrom('a', 'b', ' ', ',', 'é', '€', '😀', '\uFEFF', 'ab', ' 😀');
const textArb = fc.array(charArb, { maxLength: 20 }).map((parts) => parts.join(''));
const anyTextArb = fc.oneof(textArb, fc.string({ unit: 'grapheme', maxLength: 12 }));

function stringAnswer<T>(f: () => T): { ok: T } | { error: true } {
  try {
    return { ok: f() };
  } catch {
    return { error: true };
  }
}

describe('containsBytes', () => {
  it('finds a pattern exactly when the decoded record includes it', () => {
    fc.assert(
      fc.property(anyTextArb, textArb, (text, pattern) => {
        const record = utf8Bytes(text);
        expect(containsBytes(pattern)(record)).toBe(utf8(record).includes(pattern));
      }),
      { numRuns: RUNS },
    );
  });

  it('does not see a leading byte order mark, which decoding drops', () => {
    const record = utf8Bytes('\uFEFFabc');
    expect(containsBytes('\uFEFFa')(record)).toBe(false);
    expect(containsBytes('abc')(record)).toBe(true);
  });

  it('matches every record with an empty pattern', () => {
    expect(containsBytes('')(new Uint8Array(0))).toBe(true);
  });
});

describe('indexOfBytes and BytePattern', () => {
  it('agree with Buffer#indexOf from any start', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 40, max: 3 }),
        fc.uint8Array({ maxLength: 4, max: 3 }),
        fc.nat(45),
        (hay, needle, from) => {
          expect(indexOfBytes(hay, needle, from)).toBe(
            needle.length === 0
              ? from <= hay.length
                ? from
                : -1
              : Buffer.from(hay).indexOf(Buffer.from(needle), from),
          );
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('search only inside the range they are given', () => {
    const bytes = utf8Bytes('xxabxxab');
    expect(new BytePattern('ab').indexIn(bytes, 0, 3)).toBe(-1);
    expect(new BytePattern('ab').indexIn(bytes, 3, 8)).toBe(6);
  });
});

describe('splitBytes', () => {
  it('splits like String#split on the decoded record, with one-byte and longer separators', () => {
    fc.assert(
      fc.property(anyTextArb, fc.constantFrom(' ', ',', 'é', '😀', ' a', 'ab'), (text, separator) => {
        const record = utf8Bytes(text);
        expect(splitBytes(separator)(record)).toEqual(utf8(record).split(separator));
      }),
      { numRuns: RUNS },
    );
  });

  it('fails a record exactly when the string path cannot decode it', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 12 }), (record) => {
        const split = splitBytes(' ');
        const expected = stringAnswer(() => utf8(record).split(' '));
        expect(stringAnswer(() => split(record))).toEqual(expected);
        // Still right after a failure, and on a second sight (then from the interner).
        expect(stringAnswer(() => split(record))).toEqual(expected);
      }),
      { numRuns: RUNS },
    );
  });

  it('gives the same string object each time it sees the same bytes', () => {
    const split = splitBytes(' ');
    const [first] = split(utf8Bytes('word other'));
    const [, again] = split(utf8Bytes('x word'));
    expect(again).toBe(first);
  });

  it('keeps answering right after its table starts over at maxKeys', () => {
    const split = splitBytes(' ', { maxKeys: 3 });
    const text = 'a b c d e a b f a';
    expect(split(utf8Bytes(text))).toEqual(text.split(' '));
    expect(split(utf8Bytes(text))).toEqual(text.split(' '));
  });

  it('refuses an empty separator', () => {
    expect(() => splitBytes('')).toThrow(ConfigError);
  });
});

describe('ByteKeyInterner', () => {
  it('numbers distinct keys densely in order of first sight, and names them', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 3, max: 2 }), { maxLength: 200 }), (keys) => {
        const interner = new ByteKeyInterner();
        const firstSeen = new Map<string, number>();
        for (const key of keys) {
          const name = Buffer.from(key).toString('hex');
          if (!firstSeen.has(name)) firstSeen.set(name, firstSeen.size);
          // Valid UTF-8 only (bytes 0-2 are); the key is placed mid-buffer to test offsets.
          const buffer = new Uint8Array([9, ...key, 9]);
          const id = interner.idOf(buffer, 1, 1 + key.length, hashBytes(buffer, 1, 1 + key.length));
          expect(id).toBe(firstSeen.get(name));
          expect(interner.keyOf(id)).toBe(utf8(key));
        }
        expect(interner.size).toBe(firstSeen.size);
      }),
      { numRuns: 100 },
    );
  });

  it('refuses a maxKeys that is not a whole number of at least 1', () => {
    expect(() => new ByteKeyInterner({ maxKeys: 0 })).toThrow(ConfigError);
  });
});
