import fc from 'fast-check';
import { hashKey, hashString, partitionOf } from '../../../src/engine/util/hash';

describe('key hashing', () => {
  it('hashes an int32 key as it always did (the hash of "i" and its digits), so stored partitions stay put', () => {
    for (const n of [0, -0, 1, -1, 9, 10, -10, 0x7fffffff, -0x80000000]) {
      expect(hashKey(n)).toBe(hashString(`i${n}`));
    }
    fc.assert(
      fc.property(
        fc.integer({ min: -0x80000000, max: 0x7fffffff }),
        (n) => hashKey(n) === hashString(`i${n}`),
      ),
    );
  });

  it('hashes other numbers by their text', () => {
    for (const n of [0.5, -1e300, 2 ** 40, Number.NaN]) expect(hashKey(n)).toBe(hashString(`n${n}`));
  });

  it('places a string key by the hash of the string itself', () => {
    expect(partitionOf('word', 7)).toBe(hashString('word') % 7);
  });
});
