/**
 * The AWS emulators of the embedded local AWS, on 127.0.0.1 and free ports, each in a child process:
 * kinesalite (in memory, off the coordinator's event loop) and s3rver (it encrypts list continuation
 * tokens with DES, which Node 20's OpenSSL 3 only offers with --openssl-legacy-provider, so in-process
 * listings of more than a page fail). s3rver is reached through a proxy (s3-conditional-proxy) that
 * enforces S3's conditional writes and keeps concurrent requests for one key from corrupting or crashing it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Emulator } from './emulator';
import { RuntimeError } from './errors';
import { startConditionalS3Proxy } from './s3-conditional-proxy';

const KINESALITE_CHILD = `
const kinesalite = require(process.argv[1]);
// Resharding needs more than kinesalite's default of 10 shards per account.
const server = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 500 });
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: server.address().port }) + '\\n'));
server.on('error', (err) => { console.error(err); process.exit(1); });
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

/**
 * Kinesalite in memory, in a child process: serving Kinesis (a producer's puts, every task's reads) on
 * the coordinator's own event loop would make the emulator the limit of the whole local run. Streams
 * become ACTIVE at once; the data lives as long as the child.
 */
export async function startKinesalite(): Promise<Emulator> {
  const child = spawn(process.execPath, ['-e', KINESALITE_CHILD, require.resolve('kinesalite')], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  try {
    const port = await readPort(child, 'kinesalite');
    return { endpoint: `http://127.0.0.1:${port}`, stop: () => stopChild(child) };
  } catch (error) {
    await stopChild(child);
    throw error;
  }
}

const S3RVER_CHILD = `
const S3rver = require(process.argv[1]);
const options = JSON.parse(process.argv[2]);
new S3rver(options).run().then(
  (address) => process.stdout.write(JSON.stringify({ port: address.port }) + '\\n'),
  (err) => { console.error(err); process.exit(1); },
);
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

/**
 * s3rver with `buckets` created, over a fresh temp directory that stop() removes, behind the conditional-write
 * proxy whose endpoint it returns. Credentials: S3RVER/S3RVER.
 */
export async function startS3rver(buckets: string[]): Promise<Emulator> {
  const directory = await mkdtemp(join(tmpdir(), 'sluice-s3rver-'));
  const options = {
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory,
    resetOnClose: true,
    configureBuckets: buckets.map((name) => ({ name })),
  };
  // The child exits when our end of its stdin closes, so a crashed parent leaves no server behind.
  const child = spawn(
    process.execPath,
    ['--openssl-legacy-provider', '-e', S3RVER_CHILD, require.resolve('s3rver'), JSON.stringify(options)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const stop = async () => {
    await stopChild(child);
    await rm(directory, { recursive: true, force: true });
  };
  try {
    const port = await readPort(child, 's3rver');
    const proxy = await startConditionalS3Proxy(`http://127.0.0.1:${port}`);
    return {
      endpoint: proxy.endpoint,
      async stop() {
        await proxy.stop();
        await stop();
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function readPort(child: ChildProcess, name: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const newline = output.indexOf('\n');
      if (newline < 0) return;
      cleanup();
      try {
        resolve((JSON.parse(output.slice(0, newline)) as { port: number }).port);
      } catch (error) {
        reject(
          new RuntimeError(`${name} printed something other than its port: ${output}`, {}, { cause: error }),
        );
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new RuntimeError(`${name} exited with code ${code} before listening`));
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

export interface RestartableEndpoint extends Emulator {
  /** Drops every connection and refuses new ones for `downMs`, like a restarting service; data stays. */
  restart(downMs: number): Promise<void>;
  readonly restarts: number;
}

/**
 * A TCP proxy on a fixed loopback port in front of an emulator, so a "restart" of the service can be
 * injected without losing its data (kinesalite keeps streams in memory only).
 */
export async function startRestartableProxy(target: string): Promise<RestartableEndpoint> {
  const { port: targetPort, hostname } = new URL(target);
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(targetPort), hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  let restarts = 0;
  let running = true;
  const closeServer = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get restarts() {
      return restarts;
    },
    async restart(downMs: number) {
      if (!running) return;
      restarts++;
      const closed = closeServer();
      for (const socket of sockets) socket.destroy();
      await closed;
      await new Promise((resolve) => setTimeout(resolve, downMs));
      if (running) await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    },
    async stop() {
      running = false;
      for (const socket of sockets) socket.destroy();
      if (server.listening) await closeServer();
    },
  };
}
