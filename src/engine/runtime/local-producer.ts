/**
 * The demo's producer for the embedded local AWS, on a worker thread of its own: generating and putting
 * tens of thousands of records per second must not take turns with the coordinator's event loop.
 */
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Producer } from '../io/kinesis-admin';
import { RuntimeError } from './errors';
import type { ProducerThreadData, ProducerThreadMessage } from './local-producer-worker';

export interface LocalProducerOptions {
  /** Kinesis endpoint (kinesalite); credentials and region come from `env`. */
  endpoint: string;
  streamName: string;
  ratePerSecond: number;
  /** A module exporting `name(index: number): string`, the record for each index. */
  generator: { module: string; name: string };
  /** Pack records as the Kinesis Producer Library does (default true). */
  aggregate?: boolean;
  env: Record<string, string>;
  /** Where a producer failure is reported as it happens (stop() also rejects with it). */
  log?: (line: string) => void;
}

export function startLocalProducer(options: LocalProducerOptions): Producer {
  const data: ProducerThreadData = {
    endpoint: options.endpoint,
    streamName: options.streamName,
    ratePerSecond: options.ratePerSecond,
    generator: { module: resolve(options.generator.module), name: options.generator.name },
    aggregate: options.aggregate ?? true,
  };
  const worker = startThread(data, { ...process.env, ...options.env });
  let sent = 0;
  let failure: RuntimeError | undefined;
  const finished = new Promise<void>((done) => {
    worker.on('message', (message: ProducerThreadMessage) => {
      if (message.type === 'sent' || message.type === 'stopped') sent = message.sent;
      if (message.type === 'failed') {
        failure = new RuntimeError(
          `the local producer into ${options.streamName} stopped: ${message.message}`,
          {
            streamName: options.streamName,
            sent,
          },
        );
        options.log?.(failure.message);
      }
      if (message.type !== 'sent') done();
    });
    worker.on('error', (error) => {
      failure = new RuntimeError(
        `the local producer thread crashed`,
        { streamName: options.streamName },
        { cause: error },
      );
      options.log?.(failure.message);
      done();
    });
    worker.on('exit', () => done());
  });
  let stopping: Promise<void> | undefined;
  return {
    get sent() {
      return sent;
    },
    stop() {
      stopping ??= (async () => {
        worker.postMessage({ type: 'stop' });
        await finished;
        await worker.terminate();
        if (failure) throw failure;
      })();
      return stopping;
    },
  };
}

/** A `.ts` entry runs through tsx, which also loads a TypeScript generator module. */
function startThread(data: ProducerThreadData, env: NodeJS.ProcessEnv): Worker {
  const compiled = __filename.endsWith('.js');
  const script = resolve(__dirname, compiled ? 'local-producer-worker.js' : 'local-producer-worker.ts');
  if (compiled) return new Worker(script, { workerData: data, env });
  const source = `require(${JSON.stringify(require.resolve('tsx/cjs/api'))}).register(); require(${JSON.stringify(script)});`;
  return new Worker(source, { eval: true, workerData: data, env });
}
