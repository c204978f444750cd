import { StoreError } from './errors';

/** S3 rejects keys longer than this many UTF-8 bytes. */
const MAX_KEY_BYTES = 1024;

/** The S3 key of a store key under `prefix`; a key S3 would refuse or mangle is refused here. */
export function s3KeyOf(prefix: string, key: string): string {
  const problem = keyProblem(key);
  if (problem !== undefined) {
    throw new StoreError(`invalid store key ${JSON.stringify(key)}: ${problem}`, { key });
  }
  const full = prefix + key;
  if (Buffer.byteLength(full) > MAX_KEY_BYTES) {
    throw new StoreError(
      `invalid store key ${JSON.stringify(key)}: with the prefix it is longer than S3's ${MAX_KEY_BYTES} bytes`,
      { key },
    );
  }
  return full;
}

function keyProblem(key: string): string | undefined {
  if (typeof key !== 'string' || key === '') return 'it is empty';
  if (key.includes('\0')) return 'it contains a NUL character';
  return undefined;
}
