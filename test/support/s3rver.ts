import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { s3ClientFor } from '../../src/engine/io/s3-store';

export interface LocalS3 {
  client: S3Client;
  bucket: string;
  endpoint: string;
  /** Another client for the same server, e.g. one a test spies on; stop() destroys it too. */
  newClient(): S3Client;
  stop(): Promise<void>;
}

/**
 * Runs s3rver in a child process. s3rver signs ListObjectsV2 continuation tokens with DES, which
 * OpenSSL 3 only has in its legacy provider: in-process, any truncated listing fails with InternalError.
 * The child also exits when our end of its stdin closes, so a crashed test run leaves no server behind.
 */
const CHILD_SCRIPT = `
const S3rver = require(process.argv[1]);
const options = JSON.parse(process.argv[2]);
new S3rver(options).run().then(
  (address) => process.stdout.write(JSON.stringify({ port: address.port }) + '\\n'),
  (err) => { console.error(err); process.exit(1); },
);
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

/** s3rver on 127.0.0.1 and a free port, over a fresh temp directory that stop() removes. */
export async function startS3rver(bucket = 'sluice-test'): Promise<LocalS3> {
  const directory = await mkdtemp(path.join(tmpdir(), 'sluice-s3rver-'));
  const options = {
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory,
    resetOnClose: true,
    configureBuckets: [{ name: bucket }],
  };
  const child = spawn(
    process.execPath,
    ['--openssl-legacy-provider', '-e', CHILD_SCRIPT, require.resolve('s3rver'), JSON.stringify(options)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  let port: number;
  try {
    port = await readPort(child);
  } catch (err) {
    await stopChild(child);
    await rm(directory, { recursive: true, force: true });
    throw err;
  }
  const endpoint = `http://127.0.0.1:${port}`;
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
      await stopChild(child);
      await rm(directory, { recursive: true, force: true });
    },
  };
}

function readPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const newline = output.indexOf('\n');
      if (newline < 0) return;
      cleanup();
      try {
        resolve((JSON.parse(output.slice(0, newline)) as { port: number }).port);
      } catch (err) {
        reject(new Error(`s3rver printed something other than its port: ${output}`, { cause: err }));
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`s3rver exited with code ${code} before listening`));
    };
    const cleanup = () => {
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onExit);
    };
    child.stdout!.on('data', onData);
    child.on('exit', onExit);
    child.on('error', onExit);
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stdin!.end();
  await exited;
}
