import { KinesisClient } from '@aws-sdk/client-kinesis';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import './sdk-notices';

export interface AwsClientOptions {
  region?: string;
  /** A local endpoint (kinesalite, LocalStack, the embedded Lambda endpoint); unset on real AWS. */
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/**
 * Kinesis client. HTTP/1.1 always: kinesalite rejects the SDK's default HTTP/2, and Kinesis on AWS
 * serves both. Endpoints also come from the SDK's own AWS_ENDPOINT_URL_KINESIS / AWS_ENDPOINT_URL.
 * `maxAttempts: 1`: KinesisSource and kinesis-admin retry through io/retry.ts (with the per-shard rate
 * limits in mind), and the SDK's own retries would multiply theirs.
 */
export function kinesisClient(options: AwsClientOptions = {}): KinesisClient {
  return new KinesisClient({
    region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    requestHandler: new NodeHttpHandler(),
    maxAttempts: 1,
  });
}

/**
 * Lambda client for invoking task functions (Lambda's 15-minute ceiling, so no socket timeout here).
 * `maxAttempts: 1`: LambdaInvoker retries through io/retry.ts.
 */
export function lambdaClient(options: AwsClientOptions = {}): LambdaClient {
  return new LambdaClient({
    region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    requestHandler: new NodeHttpHandler({ connectionTimeout: 5000 }),
    maxAttempts: 1,
  });
}
