/**
 * The dashboard in a real browser (playwright-core driving Debian's chromium) against a job running in
 * this process: the charts and the table show the batches the manifests record, a batch opens on its
 * stages, user data is shown as text, and the screenshot in the README is taken here.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { type BatchManifest, JobCatalog, manifestKey } from '../../src/engine/catalog';
import { FsStore } from '../../src/engine/io/fs-store';
import { type EmbeddedJob, startEmbedded } from '../../src/engine/runtime/embedded';
import { type Dashboard, dashboardForRunningJob, summarize } from '../../src/engine/ui';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const BATCHES = 4;
// The README's screenshot is refreshed on request (SLUICE_UPDATE_SCREENSHOT=1); other runs leave the
// checkout as it was and write theirs to the temp directory.
const SCREENSHOT = process.env.SLUICE_UPDATE_SCREENSHOT
  ? resolve(__dirname, '../../docs/images/dashboard.png')
  : join(tmpdir(), `sluice-dashboard-${process.pid}.png`);

let root: string;
let job: EmbeddedJob;
let dashboard: Dashboard;
let browser: Browser;
let page: Page;
let manifests: BatchManifest[];
const dialogs: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `no chromium at ${CHROMIUM}: the dashboard test needs a browser. Install Debian's with ` +
        '`apt-get install -y --no-install-recommends chromium` (as .ci/run does), or set CHROMIUM_PATH',
    );
  }
  root = mkdtempSync(join(tmpdir(), 'sluice-ui-'));
  job = startEmbedded({
    jobModule: resolve(__dirname, 'fixtures/dashboard-job.ts'),
    runtime: 'memory',
    store: new FsStore({ root }),
    batches: BATCHES,
  });
  dashboard = await dashboardForRunningJob(job, { host: '127.0.0.1', port: 0 });
  browser = await chromium.launch({ executablePath: CHROMIUM });
  page = await browser.newPage({ viewport: { width: 1500, height: 900 } });
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  // Opened while the job runs: the batches arrive over Server-Sent Events, not from the first load.
  await page.goto(dashboard.url);
  await job.done;
  const catalog = new JobCatalog(job.store);
  const times = (await catalog.manifestTimes()).sort((a, b) => a - b);
  manifests = (await Promise.all(times.map((t) => catalog.readManifest(t)))).map((m) => m!.value);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await dashboard?.close();
  await job?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

/** The recent-batches table, newest first, each row by column header. */
async function tableRows(): Promise<Record<string, string>[]> {
  const headers = await page.locator('#batches thead th').allTextContents();
  const rows = await page.locator('#batches tbody tr').all();
  return Promise.all(
    rows.map(async (row) => {
      const cells = await row.locator('td').allTextContents();
      return Object.fromEntries(cells.map((text, i) => [headers[i], text]));
    }),
  );
}

async function waitForRows(count: number): Promise<void> {
  await page.locator(`#batches tbody tr:nth-child(${count})`).waitFor();
  expect(await page.locator('#batches tbody tr').count()).toBe(count);
}

/** A number as uPlot's legend shows it (the browser's en-US locale). */
const shown = (value: number | undefined) => value!.toLocaleString('en-US');

/** Hovers the right edge of a chart and reads its legend: each series' label and value there. */
async function legendAtNewest(chart: string): Promise<string[]> {
  const plot = page.locator(`#chart-${chart} .u-over`);
  const box = (await plot.boundingBox())!;
  await page.mouse.move(box.x + box.width - 1, box.y + box.height / 2);
  const series = await page.locator(`#chart-${chart} .u-legend .u-series`).all();
  const cells = await Promise.all(
    series
      .slice(1)
      .map(async (s) => [
        (await s.locator('th').textContent())!.trim(),
        (await s.locator('td').textContent())!.trim(),
      ]),
  );
  return cells.flat();
}

describe('the dashboard in a browser', () => {
  it('shows every batch of the running job, live, with the numbers of its manifests', async () => {
    expect(manifests).toHaveLength(BATCHES);
    await waitForRows(BATCHES);
    const rows = await tableRows();
    const newestFirst = [...manifests].reverse();
    rows.forEach((row, i) => {
      const m = newestFirst[i];
      const s = summarize(m);
      expect(row.status).toBe('committed');
      expect(row['batch time']).toBe(new Date(m.batchTime).toISOString().slice(11, 23));
      expect(Number(row.records)).toBe(m.inputs[0].records);
      expect(Number(row['scheduling delay (ms)'])).toBe(m.timing.schedulingDelayMs);
      expect(Number(row['processing (ms)'])).toBe(m.timing.processingMs);
      expect(Number(row['total delay (ms)'])).toBe(m.timing.schedulingDelayMs + m.timing.processingMs!);
      expect(Number(row['lag (ms)'])).toBe(Math.max(...m.inputs[0].ranges.map((r) => r.millisBehindLatest!)));
      expect(Number(row['dead letters'])).toBe(s.deadLetters);
      expect(Number(row.tasks)).toBe(s.tasks);
      expect(Number(row.requests)).toBe(s.requests);
    });
    // Each shard's poison record was dead-lettered, once per batch.
    expect(rows.map((r) => Number(r['dead letters']))).toEqual(newestFirst.map(() => 1));
  });

  it('draws every batch on every timeline, the lag of each shard included', async () => {
    for (const chart of ['input-rate', 'processing', 'scheduling-delay', 'total-delay', 'shard-lag']) {
      await expect(page.getAttribute(`#chart-${chart}`, 'data-batches')).resolves.toBe(String(BATCHES));
      await expect(page.locator(`#chart-${chart} canvas`).count()).resolves.toBe(1);
    }
    await expect(page.isHidden('#no-lag')).resolves.toBe(true);
    // uPlot's legend shows the values under the cursor: at the right edge, the newest batch's.
    const newest = summarize(manifests.at(-1)!);
    expect(await legendAtNewest('input-rate')).toEqual(['records/s', shown(newest.inputRate)]);
    expect(await legendAtNewest('processing')).toEqual([
      'processing',
      shown(newest.processingMs),
      'batch interval',
      shown(newest.batchMs),
    ]);
    expect(await legendAtNewest('total-delay')).toEqual(['total delay', shown(newest.totalDelayMs)]);
    expect(await legendAtNewest('shard-lag')).toEqual(
      newest.shardLags.flatMap((l) => [`${l.input}/${l.shard}`, shown(l.millisBehindLatest)]),
    );
    await page.mouse.move(0, 0);
    const legends = await page.$$eval('#chart-shard-lag .u-legend .u-series th', (cells) =>
      cells.map((c) => c.textContent?.trim()),
    );
    expect(legends).toEqual(expect.arrayContaining(['clicks/shard-000', 'clicks/shard-001']));
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(10_000);
  });

  it('opens a batch on its stages and tasks, marking dead-lettered records', async () => {
    const newest = manifests.at(-1)!;
    await page.click(`#batches tbody tr[data-batch-time="${newest.batchTime}"]`);
    await page.waitForSelector('#batch table[data-table="stages"] tbody tr');
    const stages = await page.$$eval('#batch table[data-table="stages"] tbody tr', (rows) =>
      rows.map((row) => [...row.querySelectorAll('td')].map((td) => td.textContent ?? '')),
    );
    expect(stages.map((cells) => [cells[0], cells[2], Number(cells[4]), Number(cells[5])])).toEqual(
      newest.stages.map((s) => [s.id, s.operator, s.partitions, s.attempts]),
    );
    const deadLettered = newest.stages.find((s) => (s.deadLettered ?? 0) > 0)!;
    expect(stages.find((cells) => cells[0] === deadLettered.id)![9]).toContain(
      `${deadLettered.deadLettered} dead-lettered`,
    );
    const graph = await page.$$eval('#batch table[data-table="graph"] tbody tr', (rows) =>
      rows.map((row) => [...row.querySelectorAll('td')].map((td) => td.textContent ?? '')),
    );
    expect(graph.map((cells) => [cells[1], cells[3], cells[4]])).toEqual([
      ['input', '', ''],
      ['map', '', ''],
      ['reduceByKey', 'shuffle', 'foreachBatch'],
    ]);
    const shards = await page.$$eval('#batch table[data-table="inputs"] tbody tr', (rows) =>
      rows.map((row) => row.querySelectorAll('td')[1].textContent),
    );
    expect(shards).toEqual(['shard-000', 'shard-001']);
    await page.click('text=← all batches');
    await page.waitForSelector('#streaming:not([hidden])');
  });

  it('shows an error and an operator name made of HTML as text, never as markup', async () => {
    const last = manifests.at(-1)!;
    const hostile = '<img src=x onerror=alert(1)>';
    const failed: BatchManifest = {
      ...last,
      batchTime: last.batchTime + last.batchMs,
      status: 'failed',
      stages: last.stages.map((s) => ({ ...s, operator: `${hostile}${s.operator}` })),
      error: { message: hostile, operator: hostile },
    };
    await job.store.put(manifestKey(failed.batchTime), new TextEncoder().encode(JSON.stringify(failed)));
    await page.reload();
    await waitForRows(BATCHES + 1);
    const rows = await tableRows();
    expect(rows[0].error).toBe(hostile);
    await page.click(`#batches tbody tr[data-batch-time="${failed.batchTime}"]`);
    await page.waitForSelector('#batch table[data-table="stages"] tbody tr');
    await expect(page.textContent('#batch dd[data-field="error"]')).resolves.toBe(`${hostile} ${hostile}`);
    await expect(page.locator('img').count()).resolves.toBe(0);
    expect(dialogs).toEqual([]);
  });
});
