import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsStore, StreamingContext } from '../../src/engine';
import { type BatchManifest, JobCatalog, jobStoreIn } from '../../src/engine/catalog';
import { main } from '../../src/engine/cli/main';
import { ManualClock } from '../../src/engine/io/clock';
import type { Store } from '../../src/engine/io/ports';
import {
  type BatchSummary,
  dashboardForRunningJob,
  dashboardFromStore,
  summarize,
} from '../../src/engine/ui';
import { getJson, getWithHost, readEvents } from './helpers';

const LINES = [['a', 'b', 'a'], ['c'], ['d', 'e'], ['f'], ['g', 'h', 'i']];

function ordersJob(): StreamingContext {
  const ssc = new StreamingContext({ batchInterval: 200, name: 'orders', partitions: 2 });
  ssc
    .queueStream(LINES)
    .countByValue()
    .foreachBatch(async (rdd) => {
      await rdd.collect();
    });
  return ssc;
}

async function runOrders(store: Store, batches: number, setUp?: (ssc: StreamingContext) => Promise<void>) {
  const ssc = ordersJob();
  await setUp?.(ssc);
  ssc.start({ store, clock: new ManualClock(0, { autoAdvance: true }), zeroTime: 0, batches });
  await ssc.awaitTermination();
}

async function manifestsIn(store: Store): Promise<BatchManifest[]> {
  const catalog = new JobCatalog(store);
  const times = (await catalog.manifestTimes()).sort((a, b) => a - b);
  return (await Promise.all(times.map((t) => catalog.readManifest(t)))).map((m) => m!.value);
}

async function sluice(args: string[]) {
  const err: string[] = [];
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err.push(String(chunk));
    return true;
  });
  const out: string[] = [];
  try {
    const code = await main(args, (text) => out.push(text));
    return { code, stdout: out.join('\n'), stderr: err.join('') };
  } finally {
    stderr.mockRestore();
  }
}

let root: string;
let store: Store;

beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), 'sluice-ui-server-'));
  store = jobStoreIn(new FsStore({ root }), 'orders');
  await runOrders(store, 2);
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('the dashboard server', () => {
  it('serves the recent batches and one batch exactly as their manifests record them', async () => {
    const dashboard = await dashboardFromStore(store, 'orders', { port: 0 });
    try {
      expect(dashboard.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const manifests = await manifestsIn(store);
      const batches = await getJson<BatchSummary[]>(`${dashboard.url}api/batches`);
      expect(batches.body).toEqual(manifests.map(summarize));
      const one = await getJson<{ manifest: BatchManifest }>(
        `${dashboard.url}api/batches/${manifests[1].batchTime}`,
      );
      expect(one.body.manifest).toEqual(manifests[1]);
      const status = await getJson<{ job: string; batchMs: number; updates: string }>(
        `${dashboard.url}api/status`,
      );
      expect(status.body).toMatchObject({ job: 'orders', batchMs: 200, updates: 'polling' });
      expect((await getJson(`${dashboard.url}api/batches/999999`)).status).toBe(404);
      expect((await getJson(`${dashboard.url}api/batches?last=-1`)).status).toBe(400);
      expect((await fetch(`${dashboard.url}..%2fpackage.json`)).status).toBe(404);
      expect((await getJson(`${dashboard.url}api/batches?last=100000`)).status).toBe(400);
      expect((await getWithHost(`${dashboard.url}api/batches`, 'attacker.example:80')).status).toBe(421);
      expect((await getWithHost(`${dashboard.url}api/batches`, 'localhost')).status).toBe(200);
      const page = await fetch(dashboard.url);
      expect(page.headers.get('content-type')).toContain('text/html');
      expect((await fetch(`${dashboard.url}vendor/uPlot.iife.min.js`)).status).toBe(200);
    } finally {
      await dashboard.close();
    }
  });

  it('pushes the batches another process commits to the store, read once a batch interval', async () => {
    const dashboard = await dashboardFromStore(store, 'orders', { port: 0 });
    const events = await readEvents<BatchSummary>(`${dashboard.url}api/events`);
    try {
      // The same job resumes elsewhere: the dashboard only sees its manifests appear.
      await runOrders(store, 2);
      const pushed = await events.waitFor(2);
      const manifests = await manifestsIn(store);
      expect(manifests).toHaveLength(4);
      expect(pushed).toEqual(manifests.slice(2).map(summarize));
    } finally {
      events.close();
      await dashboard.close();
    }
  });

  it('pushes each batch of a job in this process from its listener bus, each once', async () => {
    const liveStore = jobStoreIn(new FsStore({ root }), 'live');
    let close: () => Promise<void> = () => Promise.resolve();
    let events: Awaited<ReturnType<typeof readEvents<BatchSummary>>> | undefined;
    try {
      await runOrders(liveStore, 3, async (ssc) => {
        const dashboard = await dashboardForRunningJob({ context: ssc, store: liveStore }, { port: 0 });
        close = dashboard.close;
        events = await readEvents<BatchSummary>(`${dashboard.url}api/events`);
      });
      const pushed = await events!.waitFor(3);
      expect(pushed).toEqual((await manifestsIn(liveStore)).map(summarize));
      expect(pushed.map((s) => s.status)).toEqual(['committed', 'committed', 'committed']);
    } finally {
      events?.close();
      await close();
    }
  });
});

describe('the dashboard of a failing job', () => {
  it('pushes the failed batch with its error', async () => {
    const failingStore = jobStoreIn(new FsStore({ root }), 'failing');
    const ssc = new StreamingContext({ batchInterval: 200, name: 'failing', partitions: 1 });
    ssc.queueStream([['x']]).foreachBatch(() => {
      throw new Error('<b>the output is broken</b>');
    });
    const dashboard = await dashboardForRunningJob({ context: ssc, store: failingStore }, { port: 0 });
    const events = await readEvents<BatchSummary>(`${dashboard.url}api/events`);
    try {
      ssc.start({
        store: failingStore,
        clock: new ManualClock(0, { autoAdvance: true }),
        zeroTime: 0,
        batches: 1,
      });
      await expect(ssc.awaitTermination()).rejects.toThrow();
      const [failed] = await events.waitFor(1);
      expect(failed.status).toBe('failed');
      expect(failed.error).toContain('<b>the output is broken</b>');
      expect(failed).toEqual(summarize((await manifestsIn(failingStore))[0]));
    } finally {
      events.close();
      await dashboard.close();
    }
  });
});

describe('sluice ui', () => {
  it('says in one line that the port is taken, and exits 1', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const { code, stderr } = await sluice(['ui', 'orders', '--store', root, '--port', String(port)]);
      expect(code).toBe(1);
      expect(stderr).toBe(
        `sluice: the dashboard cannot listen: port ${port} on 127.0.0.1 is in use\nhint: pass another --port, or --port 0 for any free one\n`,
      );
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('says in one line that a job never ran in the store, and exits 1', async () => {
    const { code, stderr } = await sluice(['ui', 'payments', '--store', root, '--port', '0']);
    expect(code).toBe(1);
    expect(stderr.split('\n')[0]).toBe(
      "sluice: job 'payments' has no record in this store: it never ran here",
    );
  });

  it('says in one line that a job has no batches yet, and exits 1', async () => {
    await new JobCatalog(jobStoreIn(new FsStore({ root }), 'fresh')).createJob({
      job: 'fresh',
      zeroTime: 0,
      batchMs: 1000,
    });
    const { code, stderr } = await sluice(['ui', 'fresh', '--store', root, '--port', '0']);
    expect(code).toBe(1);
    expect(stderr.split('\n')[0]).toBe(
      "sluice: job 'fresh' has no batches in this store yet: nothing to show",
    );
  });

  it('says in one line that the store cannot be read, and exits 1', async () => {
    const closed: Server = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
    const env = {
      AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}`,
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'x',
      AWS_REGION: 'us-east-1',
    };
    const saved = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
    Object.assign(process.env, env);
    try {
      const { code, stderr } = await sluice(['ui', 'orders', '--store', 's3://nowhere/jobs/', '--port', '0']);
      expect(code).toBe(1);
      const [line, hint] = stderr.split('\n');
      expect(line).toMatch(/^sluice: cannot read job 'orders' from the store: .*ECONNREFUSED/);
      expect(hint).toBe('hint: check --store and that the store is reachable from here');
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });

  it('refuses a port that is not one, with exit 2', async () => {
    const { code, stderr } = await sluice(['ui', 'orders', '--store', root, '--port', '70000']);
    expect(code).toBe(2);
    expect(stderr).toContain("--port must be a whole number from 0 to 65535, got '70000'");
  });

  it('is listed in --help, and run offers --ui', async () => {
    const out: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out.push(String(chunk));
      return true;
    });
    try {
      expect(await main(['--help'], () => undefined)).toBe(0);
      expect(await main(['run', '--help'], () => undefined)).toBe(0);
    } finally {
      write.mockRestore();
    }
    expect(out.join('')).toMatch(/\n {2}ui \[options\] <job>/);
    expect(out.join('')).toContain('--ui');
  });
});
