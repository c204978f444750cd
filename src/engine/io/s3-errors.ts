/** How S3's answers become the store's errors: refused conditions, missing buckets, partial deletes. */
import { ConditionFailedError, StoreError } from './errors';
import type { WriteCondition } from './ports';

/** Where a request went, for messages and error context. */
export interface S3Request {
  op: string;
  /** The store key, without the store's prefix. */
  key: string;
  bucket: string;
}

/** A key S3 reported as not deleted, as DeleteObjects lists it. */
export interface S3DeleteError {
  Key?: string;
  Code?: string;
  Message?: string;
}

/**
 * The ConditionFailedError for a conditional PUT that S3 refused because another writer won, or
 * undefined when `err` is some other failure.
 */
export function refusedCondition(
  err: unknown,
  request: S3Request,
  condition: WriteCondition,
): ConditionFailedError | undefined {
  // 412: the condition did not hold. 409: a concurrent conditional write of the key won the race.
  // 404 on If-Match: the object we compare against was deleted since it was read.
  const lostRace = statusOf(err) === 412 || statusOf(err) === 409;
  if (!lostRace && !('ifVersion' in condition && errorName(err) === 'NoSuchKey')) return undefined;
  return new ConditionFailedError(
    `conditional write of store key ${JSON.stringify(request.key)} refused by S3 (${errorName(err)}): another writer won`,
    { key: request.key, bucket: request.bucket, condition },
    { cause: err },
  );
}

/** A failed request as a StoreError that names the bucket when it is the bucket that is missing. */
export function requestFailure(
  request: S3Request,
  cause: unknown,
  noBucket = errorName(cause) === 'NoSuchBucket',
): StoreError {
  const { op, key, bucket } = request;
  const context = { key, bucket, op };
  if (noBucket) {
    return new StoreError(
      `s3 store: bucket ${JSON.stringify(bucket)} does not exist (${op} of key ${JSON.stringify(key)})`,
      context,
      { cause },
    );
  }
  const reason = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
  return new StoreError(
    `s3 store: ${op} of key ${JSON.stringify(key)} in bucket ${JSON.stringify(bucket)} failed: ${reason}`,
    context,
    { cause },
  );
}

/** The keys a DeleteObjects request answered 200 for but did not delete, as one StoreError. */
export function partialDeleteFailure(bucket: string, prefix: string, errors: S3DeleteError[]): StoreError {
  const shown = errors
    .slice(0, 5)
    .map((e) => `${JSON.stringify(e.Key)}: ${e.Code ?? 'error'} ${e.Message ?? ''}`.trim());
  const more = errors.length > 5 ? ` and ${errors.length - 5} more` : '';
  return new StoreError(
    `s3 store: delete in bucket ${JSON.stringify(bucket)} failed for ${errors.length} key(s): ${shown.join('; ')}${more}`,
    {
      key: errors[0].Key?.slice(prefix.length),
      bucket,
      op: 'delete',
      errors: errors.map((e) => ({ key: e.Key, code: e.Code, message: e.Message })),
    },
  );
}

/** HEAD answers 404 with no body, so the SDK names the error 'NotFound' rather than 'NoSuchKey'. */
export function isNotFound(err: unknown): boolean {
  const name = errorName(err);
  return statusOf(err) === 404 || name === 'NotFound' || name === 'NoSuchKey' || name === 'NoSuchBucket';
}

export function errorName(err: unknown): string | undefined {
  return (err as { name?: unknown } | undefined)?.name as string | undefined;
}

export function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}
