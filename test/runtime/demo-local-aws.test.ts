import { execFile } from 'node:child_process';
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

  it('refuses a small-batch threshold that is not a whole number', async () => {
    const run = await demo(['--small-batch-records', 'many']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--small-batch-records must be a whole number, got 'many'");
  }, 60_000);
});
