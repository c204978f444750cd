import { execFile, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

/** `npm start -- <args>` as a child process: exit code and output. */
function demo(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return promisify(execFile)(
    process.execPath,
    [resolve('node_modules/tsx/dist/cli.mjs'), resolve('examples/demo.ts'), ...args],
    { env: process.env, maxBuffer: 16 * 1024 * 1024 },
  ).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
}

describe('the demo on the local AWS path', () => {
  it('counts the records its producer thread puts into Kinesis, then stops cleanly', async () => {
    const run = await demo(['--runtime', 'local-aws', '--rate', '2000', '--duration', '10']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('KPL aggregates, from a thread of its own');
    const records = [...run.stdout.matchAll(/batch \S+ records=(\d+)/g)].map((m) => Number(m[1]));
    expect(records.some((n) => n > 0)).toBe(true);
    expect(run.stdout).toContain('sluice demo: stopped');
  }, 120_000);

  it('can be watched with the sluice status command it prints, from another process, while it runs', async () => {
    const child = spawn(
      process.execPath,
      [
        resolve('node_modules/tsx/dist/cli.mjs'),
        resolve('examples/demo.ts'),
        '--runtime',
        'local-aws',
        '--duration',
        '20',
      ],
      { env: process.env },
    );
    let stdout = '';
    child.stdout.on('data', (chunk) => {
      stdout += String(chunk);
    });
    const exited = new Promise<number | null>((done) => child.on('exit', done));
    try {
      const deadline = Date.now() + 60_000;
      // The command line it prints, once two batches have committed.
      while (!/ npx sluice status .*\n/.test(stdout) || (stdout.match(/\n {2}batch /g) ?? []).length < 2) {
        if (Date.now() > deadline)
          throw new Error(`the demo printed no status command and two batches:\n${stdout}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const line = / {2}(\S+=\S+(?: \S+=\S+)*) npx sluice status (.*)\n/.exec(stdout)!;
      const env = Object.fromEntries(line[1].split(' ').map((pair) => pair.split('=', 2)));
      const status = await promisify(execFile)(
        process.execPath,
        [
          resolve('node_modules/tsx/dist/cli.mjs'),
          resolve('src/engine/cli/main.ts'),
          'status',
          ...line[2].split(' '),
          '--json',
        ],
        { env: { ...process.env, ...env } },
      );
      const report = JSON.parse(status.stdout) as {
        job: string;
        lease: { held: boolean };
        committed: number;
      };
      expect(report.job).toBe('wordcount');
      expect(report.lease.held).toBe(true);
      expect(report.committed).toBeGreaterThanOrEqual(2);
    } finally {
      child.kill('SIGINT');
      await exited;
    }
  }, 120_000);

  it('refuses a small-batch threshold that is not a whole number', async () => {
    const run = await demo(['--small-batch-records', 'many']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--small-batch-records must be a whole number, got 'many'");
  }, 60_000);
});
