import { putRecordsCalls } from '../../src/engine/io/kinesis-admin';

const entry = (bytes: number, key = 'k') => ({ Data: new Uint8Array(bytes), PartitionKey: key });

describe('PutRecords calls stay within the API limits', () => {
  it('splits at 500 entries', () => {
    const calls = putRecordsCalls(Array.from({ length: 1201 }, () => entry(10)));
    expect(calls.map((c) => c.length)).toEqual([500, 500, 201]);
  });

  it('splits before 5 MiB of data and partition keys, keeping order', () => {
    // 6 records of 1 MiB less the key: five fit in one call, the sixth does not.
    const mib = 1024 * 1024;
    const entries = Array.from({ length: 6 }, (_, i) => entry(mib - 2, `k${i}`));
    const calls = putRecordsCalls(entries);
    expect(calls.map((c) => c.length)).toEqual([5, 1]);
    expect(calls.flat().map((e) => e.PartitionKey)).toEqual(['k0', 'k1', 'k2', 'k3', 'k4', 'k5']);
  });

  it('makes no call for no entries', () => {
    expect(putRecordsCalls([])).toEqual([]);
  });
});
