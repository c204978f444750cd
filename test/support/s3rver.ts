import type { S3Client } from '@aws-sdk/client-s3';
import { s3ClientFor } from '../../src/engine/io/s3-client';
import { startS3rver as startS3rverServer } from '../../src/engine/runtime/emulators';

export interface LocalS3 {
  client: S3Client;
  bucket: string;
  endpoint: string;
  /** Another client for the same server, e.g. one a test spies on; stop() destroys it too. */
  newClient(): S3Client;
  stop(): Promise<void>;
}

/** s3rver on 127.0.0.1 and a free port (see runtime/emulators), with clients for it. */
export async function startS3rver(bucket = 'sluice-test'): Promise<LocalS3> {
  const server = await startS3rverServer([bucket]);
  const endpoint = server.endpoint;
  const clients: S3Client[] = [];
  const newClient = () => {
    // s3rver accepts only these credentials.
    const client = s3ClientFor({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    clients.push(client);
    return client;
  };
  return {
    client: newClient(),
    bucket,
    endpoint,
    newClient,
    async stop() {
      for (const client of clients) client.destroy();
      await server.stop();
    },
  };
}
