/**
 * One classification of AWS SDK errors for every adapter that retries (Kinesis, Lambda, and whoever
 * follows): throttled, transient (the service or the network hiccuped) or final (the request itself is
 * wrong, and sending it again cannot help).
 */

/** The service asks us to slow down: retry with backoff, and read or write less if it persists. */
const THROTTLING_CODES = new Set([
  'ProvisionedThroughputExceededException',
  'LimitExceededException',
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'KMSThrottlingException',
  'EC2ThrottledException',
  'PriorRequestNotComplete',
  'BandwidthLimitExceeded',
]);

/** The service failed on its side, or did not answer in time: the same request may well succeed. */
const TRANSIENT_CODES = new Set([
  'InternalFailure',
  'InternalError',
  'InternalServerError',
  'InternalServiceError',
  'ServiceException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'ResourceNotReadyException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
]);

/** The connection dropped, was refused or timed out before the service answered. */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

interface ErrorShape {
  name?: unknown;
  code?: unknown;
  Code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $retryable?: { throttling?: unknown } | unknown;
  $response?: { statusCode?: unknown };
  retryAfterSeconds?: unknown;
}

function shape(error: unknown): ErrorShape | undefined {
  return error !== null && typeof error === 'object' ? (error as ErrorShape) : undefined;
}

/** The service's error code (`ProvisionedThroughputExceededException`), a Node network code, or 'Error'. */
export function awsErrorCode(error: unknown): string {
  const e = shape(error);
  for (const candidate of [e?.name, e?.Code, e?.code]) {
    if (typeof candidate === 'string' && candidate !== '' && candidate !== 'Error') return candidate;
  }
  return 'Error';
}

export function awsErrorMessage(error: unknown): string {
  const message = shape(error)?.message;
  return typeof message === 'string' ? message : String(error);
}

/** `Code: message`, for error messages that name the last failure. */
export function describeAwsError(error: unknown): string {
  return `${awsErrorCode(error)}: ${awsErrorMessage(error)}`;
}

/** The HTTP status of the service's answer, when there was one. */
export function httpStatusOf(error: unknown): number | undefined {
  const e = shape(error);
  for (const status of [e?.$metadata?.httpStatusCode, e?.$response?.statusCode]) {
    if (typeof status === 'number' && status > 0) return status;
  }
  return undefined;
}

function networkCode(error: unknown): string | undefined {
  const e = shape(error);
  for (const candidate of [e?.code, e?.name]) {
    if (typeof candidate === 'string' && NETWORK_CODES.has(candidate)) return candidate;
  }
  return undefined;
}

/** Throttled: the request was fine but too many were sent (429, SlowDown, quota exceptions). */
export function isThrottlingError(error: unknown): boolean {
  if (THROTTLING_CODES.has(awsErrorCode(error))) return true;
  if (httpStatusOf(error) === 429) return true;
  const retryable = shape(error)?.$retryable as { throttling?: unknown } | undefined;
  return retryable?.throttling === true;
}

/** A 5xx, a timeout or a dropped connection: the service or network failed, not the request. */
export function isTransientError(error: unknown): boolean {
  if (networkCode(error) !== undefined) return true;
  if (TRANSIENT_CODES.has(awsErrorCode(error))) return true;
  if (/socket hang up/i.test(awsErrorMessage(error))) return true;
  const status = httpStatusOf(error);
  if (status !== undefined && status >= 500) return true;
  // The SDK marks errors it would retry itself (clock skew, transient 4xx it knows about).
  return shape(error)?.$retryable !== undefined && shape(error)?.$retryable !== null;
}

/**
 * Whether sending the same request again may succeed. Throttling and transient failures may; a 4xx that
 * is neither (validation, not found, access denied, too large) never does, whatever else it says.
 */
export function isRetryableAwsError(error: unknown): boolean {
  if (isThrottlingError(error)) return true;
  if (networkCode(error) !== undefined || TRANSIENT_CODES.has(awsErrorCode(error))) return true;
  const status = httpStatusOf(error);
  if (status !== undefined && status >= 400 && status < 500) return false;
  return isTransientError(error);
}

/** How long the service asked us to wait (Lambda's Retry-After), in ms, if it said. */
export function retryAfterMs(error: unknown): number | undefined {
  const asked = shape(error)?.retryAfterSeconds;
  if (typeof asked !== 'string' && typeof asked !== 'number') return undefined;
  const ms = Number(asked) * 1000;
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}
