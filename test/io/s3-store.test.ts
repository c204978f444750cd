import {
  DeleteObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { StoreError } from '../../src/engine/io/errors';
import { S3Store } from '../../src/engine/io/s3-store';
import { type LocalS3, startS3rver } from '../support/s3rver';
import { describeStoreBehaviour } from './store-behaviour';

const bytes = (...values: number[]) => new Uint8Array(values);

let s3: LocalS3;
let nextPrefix = 0;

/** A fresh prefix per store, so tests sharing the one bucket never see each other's keys. */
const freshPrefix = () => `test-${nextPrefix++}/`;

beforeAll(async () => {
  s3 = await startS3rver();
});

afterAll(async () => {
  await s3?.stop();
});

async function rejection(promise: Promise<unknown>): Promise<StoreError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StoreError);
  return err as StoreError;
}

// The local endpoint is s3rver behind a proxy that serializes writes per key and enforces conditional
// writes, so it meets the whole contract, atomic overwrites included, as S3 does.
describeStoreBehaviour('S3Store on the local S3 endpoint', async () => ({
  store: new S3Store({ client: s3.client, bucket: s3.bucket, prefix: freshPrefix() }),
}));

describe('S3Store', () => {
  it('stores keys under its prefix and lists them with the prefix stripped', async () => {
    const root = freshPrefix();
    const a = new S3Store({ client: s3.client, bucket: s3.bucket, prefix: `${root}jobs/a/` });
    const ab = new S3Store({ client: s3.client, bucket: s3.bucket, prefix: `${root}jobs/ab/` });
    const whole = new S3Store({ client: s3.client, bucket: s3.bucket });
    await a.put('k', bytes(1));
    await ab.put('k', bytes(2, 2));
    expect(await a.list('')).toMatchObject([{ key: 'k', size: 1 }]);
    expect(await ab.list('')).toMatchObject([{ key: 'k', size: 2 }]);
    expect(await whole.list(root)).toMatchObject([
      { key: `${root}jobs/a/k`, size: 1 },
      { key: `${root}jobs/ab/k`, size: 2 },
    ]);
    await a.delete(['k']);
    expect(await ab.get('k')).toEqual(bytes(2, 2));
  });

  it('follows list pagination across pages of the configured size', async () => {
    const client = s3.newClient();
    const send = jest.spyOn(client, 'send');
    const store = new S3Store({ client, bucket: s3.bucket, prefix: freshPrefix(), listPageSize: 2 });
    const keys = ['e', 'a', 'g', 'c', 'b', 'f', 'd'];
    await Promise.all(keys.map((key, i) => store.put(key, new Uint8Array(i))));
    send.mockClear();
    expect(await store.list('')).toMatchObject(
      [...keys].sort().map((key) => ({ key, size: keys.indexOf(key) })),
    );
    const listCalls = send.mock.calls.filter(([command]) => command instanceof ListObjectsV2Command);
    expect(listCalls).toHaveLength(4);
  });

  it('deletes more than 1000 keys in DeleteObjects requests of at most 1000 keys each', async () => {
    const client = s3.newClient();
    const store = new S3Store({ client, bucket: s3.bucket, prefix: freshPrefix() });
    const keys = Array.from({ length: 1500 }, (_, i) => `gc/${String(i).padStart(5, '0')}`);
    // In slices, to stay within the client's socket pool (s3rver is slow here: ~100-250 puts/s).
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(keys.slice(i, i + 50).map((key) => store.put(key, bytes(1))));
    }
    await store.put('kept', bytes(1));
    const send = jest.spyOn(client, 'send');
    await store.delete([...keys, 'gc/never-written']);
    const sizes = send.mock.calls
      .map(([command]) => command)
      .filter((command) => command instanceof DeleteObjectsCommand)
      .map((command) => (command as DeleteObjectsCommand).input.Delete!.Objects!.length)
      .sort((x, y) => x - y);
    expect(sizes).toEqual([501, 1000]);
    expect(await store.list('')).toMatchObject([{ key: 'kept', size: 1 }]);
  }, 60_000);

  it('reports keys that DeleteObjects could not delete as a StoreError naming them', async () => {
    const send = jest.fn(async (command: unknown) => {
      expect(command).toBeInstanceOf(DeleteObjectsCommand);
      return { Errors: [{ Key: 'p/locked', Code: 'AccessDenied', Message: 'Access Denied' }] };
    });
    const store = new S3Store({ client: { send } as unknown as S3Client, bucket: 'b', prefix: 'p/' });
    const err = await rejection(store.delete(['fine', 'locked']));
    expect(err.message).toMatch(/"p\/locked": AccessDenied Access Denied/);
    expect(err.context).toMatchObject({ key: 'locked', bucket: 'b', op: 'delete' });
  });

  it('fails every operation on a missing bucket with an error naming the bucket', async () => {
    const store = new S3Store({ client: s3.client, bucket: 'no-such-bucket' });
    const ops: Array<[string, () => Promise<unknown>]> = [
      ['put', () => store.put('k', bytes(1))],
      ['get', () => store.get('k')],
      ['getRange', () => store.getRange('k', 0, 1)],
      ['getRange', () => store.getRange('k', 2, 2)],
      ['has', () => store.has('k')],
      ['list', () => store.list('')],
      ['delete', () => store.delete(['k'])],
    ];
    for (const [op, run] of ops) {
      const err = await rejection(run());
      expect(err.message).toContain('bucket "no-such-bucket" does not exist');
      expect(err.context).toMatchObject({ bucket: 'no-such-bucket', op });
      expect(err.cause).toBeDefined();
    }
  });

  it('rejects an empty key without sending a request', async () => {
    const send = jest.fn();
    const store = new S3Store({ client: { send } as unknown as S3Client, bucket: 'b' });
    for (const op of [
      store.put('', bytes(1)),
      store.get(''),
      store.getRange('', 0, 1),
      store.has(''),
      store.delete(['fine', '']),
    ]) {
      const err = await rejection(op);
      expect(err.message).toContain('invalid store key ""');
      expect(err.context).toEqual({ key: '' });
    }
    expect(send).not.toHaveBeenCalled();
  });

  it('wraps an SDK failure in a StoreError with the key, bucket, operation and cause', async () => {
    const cause = Object.assign(new Error('We encountered an internal error'), { name: 'InternalError' });
    const send = jest.fn(async (command: unknown) => {
      expect(command).toBeInstanceOf(PutObjectCommand);
      throw cause;
    });
    const store = new S3Store({ client: { send } as unknown as S3Client, bucket: 'b', prefix: 'p/' });
    const err = await rejection(store.put('k', bytes(1)));
    expect(err.message).toBe(
      's3 store: put of key "k" in bucket "b" failed: InternalError: We encountered an internal error',
    );
    expect(err.context).toEqual({ key: 'k', bucket: 'b', op: 'put' });
    expect(err.cause).toBe(cause);
  });

  it('returns exactly the requested bytes of short ranges, including the first byte alone', async () => {
    const store = new S3Store({ client: s3.client, bucket: s3.bucket, prefix: freshPrefix() });
    await store.put('r', bytes(0, 1, 2, 3, 4));
    expect(await store.getRange('r', 0, 1)).toEqual(bytes(0));
    expect(await store.getRange('r', 4, 5)).toEqual(bytes(4));
    expect(await store.getRange('r', 1, 3)).toEqual(bytes(1, 2));
  });

  it('reads no bytes from any range of an empty object, but undefined for a missing one', async () => {
    const store = new S3Store({ client: s3.client, bucket: s3.bucket, prefix: freshPrefix() });
    await store.put('empty', new Uint8Array(0));
    expect(await store.getRange('empty', 0, 10)).toEqual(new Uint8Array(0));
    expect(await store.getRange('empty', 0, 0)).toEqual(new Uint8Array(0));
    expect(await store.getRange('missing', 3, 3)).toBeUndefined();
  });

  it('answers has() for a missing key with one request once the bucket is known to exist', async () => {
    const client = s3.newClient();
    const store = new S3Store({ client, bucket: s3.bucket, prefix: freshPrefix() });
    expect(await store.has('first-miss')).toBe(false);
    const send = jest.spyOn(client, 'send');
    expect(await store.has('second-miss')).toBe(false);
    expect(send).toHaveBeenCalledTimes(1);
  });
});
