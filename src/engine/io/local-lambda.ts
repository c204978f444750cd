/**
 * An embedded Lambda endpoint speaking the real Invoke HTTP API, so an unmodified LambdaClient (and so
 * LambdaInvoker) can call functions hosted in this process: local runs and tests without serverless-offline.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Lambda's synchronous invocation limit, for both the request and the response payload. */
const PAYLOAD_LIMIT_BYTES = 6 * 1024 * 1024;
const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

/** The subset of Lambda's context object that handlers here can rely on. */
export interface LocalLambdaContext {
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  awsRequestId: string;
  getRemainingTimeInMillis(): number;
}

export type LocalLambdaHandler = (event: unknown, context: LocalLambdaContext) => Promise<unknown>;

export interface LocalLambdaOptions {
  functions: Record<string, LocalLambdaHandler>;
  host?: string;
  port?: number;
  /** Like a function timeout: the invocation fails with Sandbox.Timedout (the handler is not stopped). */
  timeoutMs?: number;
  /** Like reserved concurrency: synchronous invocations beyond it get 429 TooManyRequestsException. */
  concurrency?: Record<string, number>;
  /** Errors of `Event` invocations, which have no caller to return them to. */
  onEventError?: (error: unknown, functionName: string) => void;
}

export interface LocalLambda {
  /** e.g. http://127.0.0.1:41234, for LambdaClient's `endpoint`. */
  endpoint: string;
  /** Stops listening, drops keep-alive connections and waits for running `Event` invocations. */
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly errorType: string,
    message: string,
  ) {
    super(message);
  }
}

export async function startLocalLambda(options: LocalLambdaOptions): Promise<LocalLambda> {
  const functions = new Map(Object.entries(options.functions));
  const timeoutMs = options.timeoutMs ?? 900_000;
  const running = new Map<string, number>();
  const background = new Set<Promise<void>>();

  const invoke = async (name: string, event: unknown): Promise<{ body: string; failed: boolean }> => {
    const handler = functions.get(name)!;
    const deadline = Date.now() + timeoutMs;
    const context: LocalLambdaContext = {
      functionName: name,
      functionVersion: '$LATEST',
      invokedFunctionArn: functionArn(name),
      awsRequestId: randomUUID(),
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    };
    running.set(name, (running.get(name) ?? 0) + 1);
    let timer: NodeJS.Timeout | undefined;
    try {
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const error = new Error(`Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`);
          error.name = 'Sandbox.Timedout';
          reject(error);
        }, timeoutMs);
      });
      // Called inside the try so that a handler throwing synchronously is a function error too.
      const result = await Promise.race([(async () => handler(event, context))(), timedOut]);
      const body = JSON.stringify(result) ?? 'null';
      if (Buffer.byteLength(body) > PAYLOAD_LIMIT_BYTES) {
        return {
          body: errorBody(
            'Function.ResponseSizeTooLarge',
            `Response payload size exceeded maximum allowed payload size (${PAYLOAD_LIMIT_BYTES} bytes).`,
          ),
          failed: true,
        };
      }
      return { body, failed: false };
    } catch (error) {
      return { body: thrownBody(error), failed: true };
    } finally {
      clearTimeout(timer);
      running.set(name, running.get(name)! - 1);
    }
  };

  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = INVOKE_PATH.exec(url.pathname);
    if (req.method !== 'POST' || !match) {
      throw new HttpError(
        404,
        'UnknownOperationException',
        `Unknown operation ${req.method} ${url.pathname}`,
      );
    }
    const name = functionName(decodeURIComponent(match[1]));
    if (!functions.has(name)) {
      throw new HttpError(404, 'ResourceNotFoundException', `Function not found: ${functionArn(name)}`);
    }
    const type = header(req, 'x-amz-invocation-type') ?? 'RequestResponse';
    if (type !== 'RequestResponse' && type !== 'Event' && type !== 'DryRun') {
      throw new HttpError(400, 'InvalidParameterValueException', `Unsupported invocation type: ${type}`);
    }
    const event = parseEvent(await readBody(req));
    if (type === 'DryRun') {
      res.writeHead(204).end();
      return;
    }
    if (type === 'Event') {
      // Lambda queues asynchronous events itself, so they are accepted whatever the concurrency.
      const run = invoke(name, event).then(({ body, failed }) => {
        if (failed) options.onEventError?.(JSON.parse(body), name);
      });
      background.add(run);
      void run.finally(() => background.delete(run));
      res.writeHead(202, { 'x-amzn-RequestId': randomUUID() }).end();
      return;
    }
    const limit = options.concurrency?.[name];
    if (limit !== undefined && (running.get(name) ?? 0) >= limit) {
      throw new HttpError(429, 'TooManyRequestsException', 'Rate Exceeded.');
    }
    const { body, failed } = await invoke(name, event);
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(body),
      'X-Amz-Executed-Version': '$LATEST',
      'x-amzn-RequestId': randomUUID(),
      ...(failed ? { 'X-Amz-Function-Error': 'Unhandled' } : {}),
    });
    res.end(body);
  };

  const server = createServer((req, res) => {
    serve(req, res).catch((error: unknown) => {
      const failure =
        error instanceof HttpError ? error : new HttpError(500, 'ServiceException', String(error));
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const body = JSON.stringify({
        Type: failure.status < 500 ? 'User' : 'Service',
        message: failure.message,
      });
      // restJson1 clients take the error's type from this header.
      res.writeHead(failure.status, {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(body),
        'x-amzn-ErrorType': failure.errorType,
        'x-amzn-RequestId': randomUUID(),
      });
      res.end(body);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  let closing: Promise<void> | undefined;
  return {
    endpoint: `http://${host}:${address.port}`,
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        // Idle keep-alive sockets would otherwise hold close() open until they time out.
        server.closeAllConnections();
        await closed;
        await Promise.allSettled([...background]);
      })();
      return closing;
    },
  };
}

/** Accepts a name, a `name:qualifier`, or a full function ARN, as Lambda does. */
function functionName(raw: string): string {
  if (raw.startsWith('arn:')) return raw.split(':')[6] ?? raw;
  return raw.split(':')[0];
}

function functionArn(name: string): string {
  return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > PAYLOAD_LIMIT_BYTES) {
      throw new HttpError(
        413,
        'RequestTooLargeException',
        `Request must be smaller than ${PAYLOAD_LIMIT_BYTES} bytes for the InvokeFunction operation`,
      );
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function parseEvent(body: Buffer): unknown {
  // The Node.js runtime hands an invocation without a payload the empty object.
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new HttpError(
      400,
      'InvalidRequestContentException',
      `Could not parse request body into json: ${(error as Error).message}`,
    );
  }
}

/** The body Lambda's Node.js runtime returns for an uncaught error. */
function thrownBody(error: unknown): string {
  // Duck-typed: errors from another realm (a vm context, a worker) are not `instanceof Error` here.
  const e = error as { name?: unknown; message?: unknown; stack?: unknown } | null;
  if (typeof e !== 'object' || e === null || typeof e.message !== 'string') {
    return errorBody('Error', String(error));
  }
  const stack = typeof e.stack === 'string' ? e.stack.split('\n') : [];
  return errorBody(typeof e.name === 'string' ? e.name : 'Error', e.message, stack);
}

function errorBody(errorType: string, errorMessage: string, trace: string[] = []): string {
  return JSON.stringify({ errorType, errorMessage, trace });
}
