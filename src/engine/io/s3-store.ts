import {
  DeleteObjectsCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { ConditionFailedError, StoreError } from './errors';
import { byKey, checkRange } from './memory-store';
import type { Store, StoreEntry, VersionedObject, WriteCondition } from './ports';

/** S3's own limit on keys per DeleteObjects request. */
const DELETE_BATCH = 1000;
/** DeleteObjects requests in flight at once, so a large GC neither crawls nor floods the bucket. */
const DELETE_CONCURRENCY = 4;
/** S3 rejects keys longer than this many UTF-8 bytes. */
const MAX_KEY_BYTES = 1024;

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
      // 412: the condition did not hold. 409: a concurrent conditional write of the key won the race.
      // 404 on If-Match: the object we compare against was deleted since it was read.
      const lostRace = statusOf(err) === 412 || statusOf(err) === 409;
      if (lostRace || ('ifVersion' in condition && errorName(err) === 'NoSuchKey')) {
        throw new ConditionFailedError(
          `conditional write of store key ${JSON.stringify(key)} refused by S3 (${errorName(err)}): another writer won`,
          { key, bucket: this.bucket, condition },
          { cause: err },
        );
      }
      throw this.fail('putIf', key, err);
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
        entries.push({ key: object.Key.slice(this.prefix.length), size: object.Size ?? 0 });
      }
      // Guard against a server that claims truncation without a token, which would loop forever.
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    // S3 orders by UTF-8 bytes; the other stores use code-unit order, which differs outside the BMP.
    return entries.sort(byKey);
  }

  private async deleteChunk(objects: { Key: string }[]): Promise<void> {
    const first = objects[0].Key.slice(this.prefix.length);
    let errors: { Key?: string; Code?: string; Message?: string }[];
    try {
      const out = await this.client.send(
        new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: objects, Quiet: true } }),
      );
      errors = out.Errors ?? [];
    } catch (err) {
      throw this.fail('delete', first, err);
    }
    // S3 answers 200 even when some keys failed, listing them here; missing keys are never among them.
    if (errors.length > 0) {
      const shown = errors
        .slice(0, 5)
        .map((e) => `${JSON.stringify(e.Key)}: ${e.Code ?? 'error'} ${e.Message ?? ''}`.trim());
      const more = errors.length > 5 ? ` and ${errors.length - 5} more` : '';
      throw new StoreError(
        `s3 store: delete in bucket ${JSON.stringify(this.bucket)} failed for ${errors.length} key(s): ${shown.join('; ')}${more}`,
        {
          key: errors[0].Key?.slice(this.prefix.length),
          bucket: this.bucket,
          op: 'delete',
          errors: errors.map((e) => ({ key: e.Key, code: e.Code, message: e.Message })),
        },
      );
    }
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
    const problem = keyProblem(key);
    if (problem !== undefined) {
      throw new StoreError(`invalid store key ${JSON.stringify(key)}: ${problem}`, { key });
    }
    const full = this.prefix + key;
    if (Buffer.byteLength(full) > MAX_KEY_BYTES) {
      throw new StoreError(
        `invalid store key ${JSON.stringify(key)}: with the prefix it is longer than S3's ${MAX_KEY_BYTES} bytes`,
        { key },
      );
    }
    return full;
  }

  private fail(
    op: string,
    key: string,
    cause: unknown,
    noBucket = errorName(cause) === 'NoSuchBucket',
  ): StoreError {
    const context = { key, bucket: this.bucket, op };
    if (noBucket) {
      return new StoreError(
        `s3 store: bucket ${JSON.stringify(this.bucket)} does not exist (${op} of key ${JSON.stringify(key)})`,
        context,
        { cause },
      );
    }
    const reason = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    return new StoreError(
      `s3 store: ${op} of key ${JSON.stringify(key)} in bucket ${JSON.stringify(this.bucket)} failed: ${reason}`,
      context,
      { cause },
    );
  }
}

function keyProblem(key: string): string | undefined {
  if (typeof key !== 'string' || key === '') return 'it is empty';
  if (key.includes('\0')) return 'it contains a NUL character';
  return undefined;
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

/** HEAD answers 404 with no body, so the SDK names the error 'NotFound' rather than 'NoSuchKey'. */
function isNotFound(err: unknown): boolean {
  const name = errorName(err);
  return statusOf(err) === 404 || name === 'NotFound' || name === 'NoSuchKey' || name === 'NoSuchBucket';
}

function errorName(err: unknown): string | undefined {
  return (err as { name?: unknown } | undefined)?.name as string | undefined;
}

function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

export interface S3ClientForOptions {
  region?: string;
  /** A local emulator (s3rver, LocalStack, MinIO); unset on real AWS. */
  endpoint?: string;
  credentials?: S3ClientConfig['credentials'];
}

/**
 * An S3 client for real AWS or, when `endpoint` is set, a local emulator: emulators need path-style
 * addressing, and checksums only where S3 requires them (else streamed bodies keep their chunk framing).
 */
export function s3ClientFor(options: S3ClientForOptions = {}): S3Client {
  const config: S3ClientConfig = {
    region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
    ...(options.credentials ? { credentials: options.credentials } : {}),
  };
  if (options.endpoint) {
    Object.assign(config, {
      endpoint: options.endpoint,
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    } satisfies S3ClientConfig);
  }
  return new S3Client(config);
}
