/**
 * The dashboard's HTTP server (node:http, no framework): the page, JSON read from the job's store, and
 * Server-Sent Events carrying each batch as it ends. It only reads the store, so it is safe beside a
 * running coordinator, and binds to loopback unless told otherwise.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BatchManifest } from '../catalog';
import { summarize } from '../schedule/batch-summary';
import { DashboardListenError } from './errors';
import type { ManifestFeed } from './manifest-feed';
import { loadStaticFiles } from './static-files';

export interface DashboardOptions {
  feed: ManifestFeed;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** How many batches the page loads at start. */
  recentBatches?: number;
}

export interface Dashboard {
  url: string;
  close(): Promise<void>;
}

const DEFAULT_RECENT = 120;
/** Each batch is one store read: a page asks for a screenful, not the job's whole history. */
const MAX_RECENT = 1000;
const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];
/** A comment down every event stream this often keeps idle connections (long batch intervals) open. */
const HEARTBEAT_MS = 15_000;

export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const { feed } = options;
  const host = options.host ?? '127.0.0.1';
  const files = loadStaticFiles();
  const streams = new Set<ServerResponse>();
  const unsubscribe = feed.subscribe((manifest) => {
    const event = `event: batch\ndata: ${JSON.stringify(summarize(manifest))}\n\n`;
    for (const stream of streams) stream.write(event);
  });
  const heartbeat = setInterval(() => {
    for (const stream of streams) stream.write(': heartbeat\n\n');
  }, HEARTBEAT_MS);
  heartbeat.unref();
  const server = createServer((request, response) => {
    route(request, response).catch((error) => {
      if (!response.headersSent) sendJson(response, 500, { error: messageOf(error) });
      else response.end();
    });
  });

  async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://dashboard');
    if (request.method !== 'GET') return sendJson(response, 405, { error: 'only GET is served' });
    if (!hostAllowed(request.headers.host, host)) {
      return sendJson(response, 421, {
        error: `this dashboard answers to ${host}, not ${request.headers.host}`,
      });
    }
    const file = files.get(url.pathname);
    if (file) {
      response.writeHead(200, { 'content-type': file.contentType, 'cache-control': 'no-cache' });
      response.end(file.body);
      return;
    }
    // Browsers ask for an icon on every page; there is none, and a 404 would be logged as an error.
    if (url.pathname === '/favicon.ico') {
      response.writeHead(204).end();
      return;
    }
    if (url.pathname === '/api/status') return sendJson(response, 200, await feed.overview());
    if (url.pathname === '/api/batches') {
      const last = Number(url.searchParams.get('last') ?? options.recentBatches ?? DEFAULT_RECENT);
      if (!Number.isInteger(last) || last <= 0 || last > MAX_RECENT) {
        return sendJson(response, 400, {
          error: `last must be a whole number from 1 to ${MAX_RECENT}, got '${last}'`,
        });
      }
      return sendJson(response, 200, (await feed.recent(last)).map(summarize));
    }
    const batch = /^\/api\/batches\/(\d+)$/.exec(url.pathname);
    if (batch) {
      const manifest: BatchManifest | undefined = await feed.manifest(Number(batch[1]));
      if (!manifest) return sendJson(response, 404, { error: `no batch at ${batch[1]}` });
      return sendJson(response, 200, { summary: summarize(manifest), manifest });
    }
    if (url.pathname === '/api/events') {
      response.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
      response.write(': connected\n\n');
      streams.add(response);
      request.on('close', () => streams.delete(response));
      return;
    }
    sendJson(response, 404, { error: `nothing at ${url.pathname}` });
  }

  try {
    await listen(server, options.port ?? 0, host);
  } catch (error) {
    clearInterval(heartbeat);
    unsubscribe();
    throw error;
  }
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}/`,
    async close() {
      clearInterval(heartbeat);
      unsubscribe();
      for (const stream of streams) stream.end();
      streams.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const reason =
        error.code === 'EADDRINUSE'
          ? `port ${port} on ${host} is in use`
          : error.code === 'EADDRNOTAVAIL'
            ? `${host} is not an address of this machine`
            : error.message;
      reject(
        new DashboardListenError(`the dashboard cannot listen: ${reason}`, { host, port }, { cause: error }),
      );
    });
    server.listen(port, host, () => resolve());
  });
}

/**
 * A loopback dashboard answers only to loopback names: a web page whose own name was re-pointed at
 * 127.0.0.1 (DNS rebinding) must not read the job's data through the visitor's browser.
 */
function hostAllowed(header: string | undefined, host: string): boolean {
  if (host === '0.0.0.0' || host === '::') return true;
  const name = header?.replace(/:\d+$/, '') ?? '';
  return LOOPBACK_NAMES.includes(name) || name === host || name === `[${host}]`;
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-cache',
  });
  response.end(JSON.stringify(body));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
