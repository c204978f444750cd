import { ProvisionedThroughputExceededException } from '@aws-sdk/client-kinesis';
import {
  awsErrorCode,
  describeAwsError,
  isRetryableAwsError,
  isThrottlingError,
  isTransientError,
  retryAfterMs,
} from '../../src/engine/io/aws-errors';
import { ManualClock } from '../../src/engine/io/clock';
import { backoffDelay, retryPolicy, withRetry } from '../../src/engine/io/retry';
import { ConfigError } from '../../src/engine/util/errors';

function awsError(name: string, status?: number, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`${name} happened`), {
    name,
    ...(status === undefined ? {} : { $metadata: { httpStatusCode: status } }),
    ...extra,
  });
}

/** Lets pending promise callbacks run (the retry loop reaching its next sleep). */
const settle = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('withRetry on a manual clock', () => {
  it('waits on the clock between attempts, with growing jittered backoff, then returns the result', async () => {
    const clock = new ManualClock(0);
    const policy = retryPolicy({ maxAttempts: 5, baseMs: 100, maxMs: 1000, clock, random: () => 1 });
    let attempts = 0;
    const result = withRetry(policy, async () => {
      if (++attempts < 3) throw awsError('ThrottlingException', 400);
      return 'done';
    });

    await settle();
    expect(attempts).toBe(1);
    expect(clock.nextWakeup()).toBe(100);
    clock.advance(99);
    await settle();
    expect(attempts).toBe(1);
    clock.advance(1);
    await settle();
    expect(attempts).toBe(2);
    expect(clock.nextWakeup()).toBe(300); // 100 + 200
    clock.advance(200);
    await expect(result).resolves.toBe('done');
    expect(attempts).toBe(3);
  });

  it('gives up after maxAttempts and lets the caller word the error', async () => {
    const clock = new ManualClock(0, { autoAdvance: true });
    const throttled = awsError('TooManyRequestsException', 429);
    const policy = retryPolicy({ maxAttempts: 3, baseMs: 10, maxMs: 10, clock });
    const error = await withRetry(
      policy,
      async () => {
        throw throttled;
      },
      {
        giveUp: ({ error, attempts, exhausted }) =>
          new Error(
            `gave up after ${attempts} (${exhausted ? 'exhausted' : 'final'}): ${describeAwsError(error)}`,
          ),
      },
    ).catch((e: Error) => e);
    expect((error as Error).message).toBe(
      'gave up after 3 (exhausted): TooManyRequestsException: TooManyRequestsException happened',
    );
    expect(clock.now()).toBeGreaterThanOrEqual(10);
  });

  it('never retries a 4xx validation error', async () => {
    const clock = new ManualClock(0, { autoAdvance: true });
    let attempts = 0;
    const invalid = awsError('ValidationException', 400);
    await expect(
      withRetry(retryPolicy({ clock }), async () => {
        attempts++;
        throw invalid;
      }),
    ).rejects.toBe(invalid);
    expect(attempts).toBe(1);
    expect(clock.now()).toBe(0);
  });

  it('keeps each wait within the equal-jitter band and maxMs, and honours Retry-After within maxMs', () => {
    for (const random of [0, 0.5, 0.999]) {
      const policy = retryPolicy({ baseMs: 100, maxMs: 1000, random: () => random });
      for (let retry = 1; retry <= 8; retry++) {
        const ceiling = Math.min(1000, 100 * 2 ** (retry - 1));
        const delay = backoffDelay(policy, retry);
        expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
        expect(delay).toBeLessThanOrEqual(ceiling);
      }
    }
    const policy = retryPolicy({ baseMs: 10, maxMs: 5000, random: () => 0 });
    expect(backoffDelay(policy, 1, 2000)).toBe(2000);
    expect(backoffDelay(policy, 1, 60_000)).toBe(5000);
  });

  it('rejects options that cannot work, naming what they configure', () => {
    expect(() => retryPolicy({ maxAttempts: 0 }, undefined, 'kinesis retry')).toThrow(
      /kinesis retry.maxAttempts must be a whole number/,
    );
    expect(() => retryPolicy({ baseMs: -1 })).toThrow(ConfigError);
    expect(() => retryPolicy({ baseMs: 100, maxMs: 50 })).toThrow(/maxMs must be finite and at least/);
  });
});

describe('AWS error classification', () => {
  it.each([
    ['ProvisionedThroughputExceededException', 400],
    ['LimitExceededException', 400],
    ['ThrottlingException', 400],
    ['TooManyRequestsException', 429],
    ['SlowDown', 503],
    ['KMSThrottlingException', 400],
    ['RequestLimitExceeded', 400],
  ])('treats %s (%i) as throttling, and retries it', (name, status) => {
    const error = awsError(name, status);
    expect(isThrottlingError(error)).toBe(true);
    expect(isRetryableAwsError(error)).toBe(true);
  });

  it('recognises the SDK exception classes and its $retryable mark', () => {
    const sdk = new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: {} });
    expect(awsErrorCode(sdk)).toBe('ProvisionedThroughputExceededException');
    expect(isThrottlingError(sdk)).toBe(true);
    expect(isThrottlingError(awsError('Whatever', 400, { $retryable: { throttling: true } }))).toBe(true);
    expect(isRetryableAwsError(awsError('Whatever', undefined, { $retryable: {} }))).toBe(true);
  });

  it.each([
    awsError('InternalFailure', 500),
    awsError('ServiceUnavailable', 503),
    awsError('ServiceException', 500),
    awsError('TimeoutError'),
    Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
    new Error('socket hang up'),
  ])('treats %p as transient, and retries it', (error) => {
    expect(isTransientError(error)).toBe(true);
    expect(isRetryableAwsError(error)).toBe(true);
  });

  it.each([
    awsError('ValidationException', 400),
    awsError('InvalidArgumentException', 400),
    awsError('ResourceNotFoundException', 400),
    awsError('AccessDeniedException', 403),
    awsError('RequestTooLargeException', 413),
    awsError('ExpiredIteratorException', 400),
    awsError('ValidationException', 400, { $retryable: {} }),
  ])('never retries %p', (error) => {
    expect(isRetryableAwsError(error)).toBe(false);
  });

  it('reads Retry-After in seconds', () => {
    expect(retryAfterMs(awsError('TooManyRequestsException', 429, { retryAfterSeconds: '2' }))).toBe(2000);
    expect(retryAfterMs(awsError('TooManyRequestsException', 429))).toBeUndefined();
  });
});
