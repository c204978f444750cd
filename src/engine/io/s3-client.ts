import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import './sdk-notices';

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
