import {
  DeleteObjectsCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { StoreError } from './errors';
import { byKey, checkRange } from './memory-store';
import type { Store, StoreEntry, VersionedObject, WriteCondition } from './ports';
import {
  errorName,
  isNotFound,
  partialDeleteFailure,
  refusedCondition,
  requestFailure,
  type S3DeleteError,
  statusOf,
} from './s3-errors';
import { s3KeyOf } from './s3-keys';

/** S3's own limit on keys per DeleteObjects request. */
const DELETE_BATCH = 1000;
/** DeleteObjects requests in flight at once, so a large GC neither crawls nor floods the bucket. */
const DELETE_CONCURRENCY = 4;

export interface S3StoreOptions {
  client: S3Client;
  bucket: string;
  /** Prepended to every key (e.g. 'jobs/wordcount/') and stripped again from listings. */
  prefix?: string;
  /** MaxKeys of each ListObjectsV2 page (S3 caps it at 1000); small values exercise pagination. */
  listPageSize?: number;
}

/** A store over an S3 bucket (or a prefix of one). */
export class S3Store implements Store {
  readonly bucket: string;
  readonly prefix: string;
  private readonly client: S3Client;
  private readonly listPageSize: number | undefined;
  /**
   * HEAD responses carry no error body, so a missing bucket looks like a missing key. The first 404 is
   * checked with HeadBucket; once the bucket is known to exist, misses cost no extra request.
   */
  private bucketKnown = false;
  /** The HeadBucket in flight: resolves to its error, or undefined when the bucket exists. */
  private bucketCheck: Promise<unknown> | undefined;

  constructor(options: S3StoreOptions) {
    if (!options.bucket) throw new StoreError('S3Store needs a bucket name', { bucket: options.bucket });
    this.client = options.client;
    this.bucket = options.bucket;
    this.prefix = options.prefix ?? '';
    this.listPageSize = options.listPageSize;
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    const Key = this.keyOf(key);
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key,
          // A Buffer over exactly the view's bytes, never its whole underlying ArrayBuffer.
          Body: Buffer.from(body.buffer, body.byteOffset, body.byteLength),
          ContentLength: body.byteLength,
        }),
      );
    } catch (err) {
      throw this.fail('put', key, err);
    }
  }

  /** S3 conditional writes: `If-None-Match: *` to create once, `If-Match: <etag>` to compare and set. */
  async putIf(key: string, body: Uint8Array, condition: WriteCondition): Promise<string> {
    const Key = this.keyOf(key);
    try {
      const out = await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key,
          Body: Buffer.from(body.buffer, body.byteOffset, body.byteLength),
          ContentLength: body.byteLength,
          ...('ifAbsent' in condition ? { IfNoneMatch: '*' } : { IfMatch: condition.ifVersion }),
        }),
      );
      if (!out.ETag)
        throw new StoreError(`s3 store: put of ${JSON.stringify(key)} returned no ETag`, { key });
      return out.ETag;
    } catch (err) {
      throw (
        refusedCondition(err, { op: 'putIf', key, bucket: this.bucket }, condition) ??
        this.fail('putIf', key, err)
      );
    }
  }

  async getVersioned(key: string): Promise<VersionedObject | undefined> {
    const Key = this.keyOf(key);
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key }));
      const body = await readBody(out);
      if (!out.ETag)
        throw new StoreError(`s3 store: get of ${JSON.stringify(key)} returned no ETag`, { key });
      return { body, version: out.ETag };
    } catch (err) {
      if (errorName(err) === 'NoSuchKey') return undefined;
      if (err instanceof StoreError) throw err;
      throw this.fail('getVersioned', key, err);
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const Key = this.keyOf(key);
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key }));
      return await readBody(out);
    } catch (err) {
      if (errorName(err) === 'NoSuchKey') return undefined;
      throw this.fail('get', key, err);
    }
  }

  async getRange(key: string, start: number, end: number): Promise<Uint8Array | undefined> {
    const Key = this.keyOf(key);
    checkRange(key, start, end);
    // HTTP cannot express an empty range; all that is left to answer is whether the object exists.
    if (start === end) return (await this.exists('getRange', key)) ? new Uint8Array(0) : undefined;
    const last = end === Number.POSITIVE_INFINITY ? '' : String(end - 1);
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key, Range: `bytes=${start}-${last}` }),
      );
      const total = totalSize(out.ContentRange);
      if (total !== undefined && start >= total) {
        // s3rver answers a range of an empty object with 206 and a body that never ends; S3 says 416.
        discard(out);
        return new Uint8Array(0);
      }
      const body = await readBody(out);
      // s3rver reads 'bytes=0-0' as the whole object; never hand back more than was asked for.
      return body.length > end - start ? body.subarray(0, end - start) : body;
    } catch (err) {
      if (errorName(err) === 'NoSuchKey') return undefined;
      // 416: the object exists but ends at or before `start` (or is empty), so the range holds nothing.
      if (errorName(err) === 'InvalidRange' || statusOf(err) === 416) return new Uint8Array(0);
      throw this.fail('getRange', key, err);
    }
  }

  has(key: string): Promise<boolean> {
    return this.exists('has', key);
  }

  async delete(keys: readonly string[]): Promise<void> {
    // Validate every key first so a bad key cannot leave the batch half deleted.
    const objects = keys.map((key) => ({ Key: this.keyOf(key) }));
    const chunks: (typeof objects)[] = [];
    for (let i = 0; i < objects.length; i += DELETE_BATCH) chunks.push(objects.slice(i, i + DELETE_BATCH));
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < chunks.length) await this.deleteChunk(chunks[next++]);
    };
    await Promise.all(Array.from({ length: Math.min(DELETE_CONCURRENCY, chunks.length) }, worker));
  }

  async list(prefix: string): Promise<StoreEntry[]> {
    const entries: StoreEntry[] = [];
    let token: string | undefined;
    do {
      let page: ListObjectsV2CommandOutput;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.prefix + prefix,
            ContinuationToken: token,
            MaxKeys: this.listPageSize,
          }),
        );
      } catch (err) {
        throw this.fail('list', prefix, err);
      }
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue;
        entries.push({
          key: object.Key.slice(this.prefix.length),
          size: object.Size ?? 0,
          modified: object.LastModified?.getTime(),
        });
      }
      // Guard against a server that claims truncation without a token, which would loop forever.
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    // S3 orders by UTF-8 bytes; the other stores use code-unit order, which differs outside the BMP.
    return entries.sort(byKey);
  }

  private async deleteChunk(objects: { Key: string }[]): Promise<void> {
    const first = objects[0].Key.slice(this.prefix.length);
    let errors: S3DeleteError[];
    try {
      const out = await this.client.send(
        new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: objects, Quiet: true } }),
      );
      errors = out.Errors ?? [];
    } catch (err) {
      throw this.fail('delete', first, err);
    }
    // S3 answers 200 even when some keys failed, listing them here; missing keys are never among them.
    if (errors.length > 0) throw partialDeleteFailure(this.bucket, this.prefix, errors);
  }

  private async exists(op: string, key: string): Promise<boolean> {
    const Key = this.keyOf(key);
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key }));
      return true;
    } catch (err) {
      if (!isNotFound(err)) throw this.fail(op, key, err);
    }
    await this.checkBucket(op, key);
    return false;
  }

  /** Turns a 404 from HEAD into a clear error when it was the bucket, not the key, that was missing. */
  private async checkBucket(op: string, key: string): Promise<void> {
    if (this.bucketKnown) return;
    this.bucketCheck ??= this.client.send(new HeadBucketCommand({ Bucket: this.bucket })).then(
      () => {
        this.bucketKnown = true;
        return undefined;
      },
      (err: unknown) => {
        this.bucketCheck = undefined;
        // Without s3:ListBucket the check can never answer, so stop asking.
        if (statusOf(err) === 403) this.bucketKnown = true;
        return err;
      },
    );
    const err = await this.bucketCheck;
    // Any other failure says nothing about the key: let the miss stand.
    if (err !== undefined && isNotFound(err)) throw this.fail(op, key, err, true);
  }

  private keyOf(key: string): string {
    return s3KeyOf(this.prefix, key);
  }

  private fail(op: string, key: string, cause: unknown, noBucket?: boolean): StoreError {
    return requestFailure({ op, key, bucket: this.bucket }, cause, noBucket);
  }
}

async function readBody(out: GetObjectCommandOutput): Promise<Uint8Array> {
  if (!out.Body) return new Uint8Array(0);
  const bytes = await out.Body.transformToByteArray();
  // A plain Uint8Array view, like the other stores return.
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The object size from a Content-Range header ('bytes 0-9/10'), when the server gave one. */
function totalSize(contentRange: string | undefined): number | undefined {
  const match = contentRange === undefined ? null : /\/(\d+)$/.exec(contentRange);
  return match ? Number(match[1]) : undefined;
}

function discard(out: GetObjectCommandOutput): void {
  const body = out.Body as { destroy?: () => void } | undefined;
  body?.destroy?.();
}
