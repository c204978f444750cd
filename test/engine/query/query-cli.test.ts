import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Pair } from '../../../src/engine';
import { ManualClock } from '../../../src/engine/io/clock';
import { FsStore } from '../../../src/engine/io/fs-store';
import { startEmbedded } from '../../../src/engine/runtime';
import { contentsOf } from './helpers';

const JOB = resolve(__dirname, 'fixtures/word-state-job.ts');

function run(args: string[], env: Record<string, string> = {}) {
  return promisify(execFile)(
    process.execPath,
    [resolve('node_modules/tsx/dist/cli.mjs'), resolve('src/engine/cli/main.ts'), 'query', ...args],
    { env: { ...process.env, SLUICE_STORE: '', ...env } },
  ).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
}

describe('sluice query', () => {
  let dir: string;
  let recorded: Map<string, Map<number, unknown[]>>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-query-'));
    // The job ran on a directory store as the embedded runtime lays it out (jobs/<name>/ under the root).
    const job = startEmbedded({
      jobModule: JOB,
      runtime: 'memory',
      store: new FsStore({ root: join(dir, 'store') }),
      clock: new ManualClock(0, { autoAdvance: true }),
      batches: 9,
    });
    await job.done;
    recorded = (await import('./fixtures/word-state-job')).recorded;
    writeFileSync(
      join(dir, 'busy.ts'),
      'export default (rdd: any) => rdd.filter(([, n]: [string, number]) => n >= 3);\n',
    );
    writeFileSync(
      join(dir, 'count.ts'),
      'export default async (rdd: any) => ({ words: (await rdd.collect()).length });\n',
    );
    writeFileSync(join(dir, 'broken.ts'), "export default () => { throw new Error('no such column'); };\n");
  }, 60_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the rows of a query over the newest committed batch as JSON, reading a directory store', async () => {
    const store = new FsStore({ root: join(dir, 'store') });
    const before = await contentsOf(store);
    const result = await run([
      JOB,
      'totals',
      '--store',
      join(dir, 'store'),
      '--json',
      '--run',
      join(dir, 'busy.ts'),
    ]);
    expect(result.stderr).toBe(
      "stream 'totals' of job 'word-state' at batch 9000 (1970-01-01T00:00:09.000Z)\n",
    );
    const expected = (recorded.get('totals')!.get(9000) as Pair<string, number>[]).filter(([, n]) => n >= 3);
    expect(sorted(JSON.parse(result.stdout))).toEqual(sorted(expected));
    expect(result.code).toBe(0);
    expect(await contentsOf(store)).toEqual(before);
  }, 30_000);

  it('prints a table for a named batch, with the store taken from SLUICE_STORE', async () => {
    const result = await run([JOB, 'totals', '--at', '1970-01-01T00:00:08Z', '--run', join(dir, 'busy.ts')], {
      SLUICE_STORE: join(dir, 'store'),
    });
    const expected = (recorded.get('totals')!.get(8000) as Pair<string, number>[]).filter(([, n]) => n >= 3);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^_1 +\| _2$/);
    expect(lines[1]).toMatch(/^-+-\+-+$/);
    expect(sorted(lines.slice(2, -1).map((line) => line.split(/ *\| */)))).toEqual(
      sorted(expected.map(([word, n]) => [word, String(n)])),
    );
    expect(lines.at(-1)).toBe(`(${expected.length} rows)`);
    expect(result.stderr).toContain('at batch 8000');
  }, 30_000);

  it('prints what a query module returns that is not an RDD', async () => {
    const result = await run([JOB, 'words', '--store', join(dir, 'store'), '--run', join(dir, 'count.ts')]);
    expect(result.stdout).toBe(`words\n-----\n${recorded.get('words')!.get(9000)!.length}\n(1 rows)\n`);
  }, 30_000);

  it('fails with one line and a non-zero exit for an unknown stream, an uncommitted batch or a failing query', async () => {
    const store = ['--store', join(dir, 'store')];
    const unknown = await run([JOB, 'total', ...store, '--run', join(dir, 'busy.ts')]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe(
      "sluice: job 'word-state' has no stream named 'total'; its named streams are 'words', 'totals', 'sessions', 'recent', 'window'\n",
    );
    const future = await run([JOB, 'totals', ...store, '--at', '20000', '--run', join(dir, 'busy.ts')]);
    expect(future.code).toBe(1);
    expect(future.stderr).toMatch(
      /^sluice: cannot query stream 'totals' at 20000: batch 20000 has not run[^\n]*\n$/,
    );
    const broken = await run([JOB, 'totals', ...store, '--run', join(dir, 'broken.ts')]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toBe('sluice: no such column\n');
  }, 60_000);

  it('explains its usage, and refuses missing or bad arguments with exit code 2', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: sluice query [options] <job> <stream>');
    const noRun = await run([JOB, 'totals', '--store', dir]);
    expect(noRun.code).toBe(2);
    expect(noRun.stderr).toContain("required option '--run <module>' not specified");
    const noStore = await run([JOB, 'totals', '--run', 'q.ts']);
    expect(noStore.code).toBe(2);
    expect(noStore.stderr).toContain('sluice: no store: pass --store');
    const badAt = await run([JOB, 'totals', '--store', dir, '--run', 'q.ts', '--at', 'yesterday']);
    expect(badAt.stderr).toContain('--at must be a batch time: ms since the epoch or an ISO 8601 time');
  }, 60_000);
});

function sorted<T>(rows: T[]): T[] {
  return [...rows].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
}
