/**
 * Starts a Lambda function asynchronously (`InvocationType: 'Event'`): Lambda queues the event and
 * answers 202 at once; the function runs on its own. The coordinator uses it to start its successor.
 * Throttling and Lambda's own transient failures are retried through io/retry.ts, briefly: a start
 * that cannot get through within a few seconds is reported to the caller, which has a deadline.
 */
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { ConfigError } from '../util/errors';
import { awsErrorCode, describeAwsError } from './aws-errors';
import { InvokeError } from './errors';
import type { LambdaSender } from './lambda-invoker';
import type { Clock } from './ports';
import { type RetryOptions, type RetryPolicy, retryPolicy, withRetry } from './retry';

export interface LambdaStarterOptions {
  /** Give it `maxAttempts: 1` (as `lambdaClient()` in aws-clients.ts does): retries happen here. */
  client: LambdaSender;
  functionName: string;
  /** Default 5 tries, 100 ms..1 s apart (about 2 s in all), so the caller's deadline is not at risk. */
  retry?: Partial<RetryOptions>;
  clock?: Clock;
}

const DEFAULT_START_RETRY: RetryOptions = { maxAttempts: 5, baseMs: 100, maxMs: 1000 };

const encoder = new TextEncoder();

export class LambdaStarter<E> {
  readonly functionName: string;
  private readonly client: LambdaSender;
  private readonly retry: RetryPolicy;

  constructor(options: LambdaStarterOptions) {
    if (!options.functionName) {
      throw new ConfigError('LambdaStarter needs a function name', { functionName: options.functionName });
    }
    this.functionName = options.functionName;
    this.client = options.client;
    this.retry = retryPolicy(
      { ...options.retry, clock: options.clock },
      DEFAULT_START_RETRY,
      'LambdaStarter retry',
    );
  }

  /** Resolves once Lambda has accepted the event (202); the function runs later, on its own. */
  async start(event: E): Promise<void> {
    const command = new InvokeCommand({
      FunctionName: this.functionName,
      InvocationType: 'Event',
      Payload: encoder.encode(JSON.stringify(event)),
    });
    const out = await withRetry(this.retry, () => this.client.send(command), {
      giveUp: ({ error, attempts }) => {
        const what =
          awsErrorCode(error) === 'ResourceNotFoundException'
            ? `Lambda function "${this.functionName}" does not exist`
            : `starting Lambda function "${this.functionName}" failed after ${attempts} attempt(s): ${describeAwsError(error)}`;
        return new InvokeError(what, { functionName: this.functionName, attempts }, { cause: error });
      },
    });
    if (out.StatusCode !== undefined && out.StatusCode !== 202) {
      throw new InvokeError(
        `Lambda did not queue the event for "${this.functionName}" (status ${out.StatusCode})`,
        { functionName: this.functionName, statusCode: out.StatusCode },
      );
    }
  }
}
