/** Test helpers for the dashboard's server: JSON over HTTP and a Server-Sent Events reader. */
import { get, type IncomingMessage } from 'node:http';

export async function getJson<T = unknown>(url: string): Promise<{ status: number; body: T }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as T };
}

/** A GET with the Host header a browser would send for another name (fetch does not let one set it). */
export function getWithHost(url: string, host: string): Promise<{ status: number }> {
  return new Promise((resolve, reject) => {
    const request = get(url, { headers: { host } }, (response) => {
      response.resume();
      resolve({ status: response.statusCode ?? 0 });
    });
    request.on('error', reject);
  });
}

export interface EventReader<T> {
  /** The `data` of every `batch` event received so far. */
  events: T[];
  /** Resolves once `count` events arrived. */
  waitFor(count: number): Promise<T[]>;
  close(): void;
}

/** Connects to an event stream and resolves once the server has accepted it (its first comment). */
export function readEvents<T>(url: string): Promise<EventReader<T>> {
  return new Promise((resolve, reject) => {
    const events: T[] = [];
    const waiters: { count: number; resolve: (events: T[]) => void }[] = [];
    let buffer = '';
    let response: IncomingMessage | undefined;
    const request = get(url, (res) => {
      response = res;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        const blocks = buffer.split('\n\n');
        buffer = blocks.pop() ?? '';
        for (const block of blocks) {
          if (block.startsWith(':')) {
            resolve(reader);
            continue;
          }
          const data = block
            .split('\n')
            .find((line) => line.startsWith('data: '))
            ?.slice('data: '.length);
          if (data !== undefined) events.push(JSON.parse(data) as T);
        }
        for (const waiter of waiters.filter((w) => events.length >= w.count)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(events.slice());
        }
      });
    });
    request.on('error', reject);
    const reader: EventReader<T> = {
      events,
      waitFor: (count) =>
        events.length >= count
          ? Promise.resolve(events.slice())
          : new Promise((done) => waiters.push({ count, resolve: done })),
      close: () => {
        response?.destroy();
        request.destroy();
      },
    };
  });
}
