import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsStore, StreamingContext } from '../../src/engine';
import { jobStoreIn, readManifest } from '../../src/engine/catalog';
import { main } from '../../src/engine/cli/main';
import { ManualClock } from '../../src/engine/io/clock';

/** Runs the command line in this process and returns what it printed and its exit code. */
async function sluice(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out.push(String(chunk));
    return true;
  });
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err.push(String(chunk));
    return true;
  });
  try {
    const code = await main(args, (text) => {
      out.push(`${text}\n`);
    });
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

let root: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'sluice-cli-'));
  const ssc = new StreamingContext({ batchInterval: 1000, name: 'orders', partitions: 2 });
  ssc
    .queueStream([['a', 'b', 'a'], ['c'], []])
    .countByValue()
    .foreachBatch(async (rdd) => {
      await rdd.collect();
    });
  ssc.start({
    store: jobStoreIn(new FsStore({ root }), 'orders'),
    clock: new ManualClock(0, { autoAdvance: true }),
    zeroTime: 0,
    batches: 3,
  });
  await ssc.awaitTermination();
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('sluice', () => {
  it('lists every command in --help and exits 0', async () => {
    const { code, stdout } = await sluice(['--help']);
    expect(code).toBe(0);
    for (const command of ['run', 'status', 'batch', 'query', 'deadletters', 'bench', 'chaos', 'cost', 'deploy']) {
      expect(stdout).toMatch(new RegExp(`\\n  ${command}\\b`));
    }
  });

  it('answers an unknown command with the help and exit 2', async () => {
    const { code, stderr } = await sluice(['stauts', 'orders']);
    expect(code).toBe(2);
    expect(stderr).toContain("unknown command 'stauts'");
    expect(stderr).toContain('Usage: sluice');
  });

  it("answers an unknown flag with that command's help and exit 2, no stack trace", async () => {
    const { code, stderr } = await sluice(['status', 'orders', '--colour']);
    expect(code).toBe(2);
    expect(stderr).toContain("unknown option '--colour'");
    expect(stderr).toContain('Usage: sluice status');
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('asks for a store when neither --store nor SLUICE_STORE names one', async () => {
    const saved = process.env.SLUICE_STORE;
    delete process.env.SLUICE_STORE;
    try {
      const { code, stderr } = await sluice(['status', 'orders']);
      expect(code).toBe(2);
      expect(stderr).toContain('no store: pass --store');
    } finally {
      if (saved !== undefined) process.env.SLUICE_STORE = saved;
    }
  });

  it('shows the batches of a job from its store, newest first, with the numbers of its manifests', async () => {
    const { code, stdout } = await sluice(['status', 'orders', '--store', root, '--json']);
    expect(code).toBe(0);
    const status = JSON.parse(stdout);
    expect(status.batches.map((b: { batchTime: number }) => b.batchTime)).toEqual([3000, 2000, 1000]);
    const store = jobStoreIn(new FsStore({ root }), 'orders');
    for (const batch of status.batches) {
      const manifest = (await readManifest(store, batch.batchTime))!;
      expect(batch.status).toBe(manifest.status);
      expect(batch.records).toBe(manifest.inputs.reduce((sum, input) => sum + input.records, 0));
      expect(batch.schedulingDelayMs).toBe(manifest.timing.schedulingDelayMs);
      expect(batch.processingMs).toBe(manifest.timing.processingMs);
    }
    expect(status.batches.map((b: { records: number }) => b.records)).toEqual([0, 1, 3]);
    expect(status.lease.held).toBe(false);
  });

  it('prints a table by default', async () => {
    const { code, stdout } = await sluice(['status', 'orders', '--store', root, '--last', '2']);
    expect(code).toBe(0);
    expect(stdout).toContain('job orders: batches every 1000 ms');
    expect(stdout).toContain('last 2 batches: 2 committed, 0 failed');
    expect(stdout.split('\n').filter((line) => /committed/.test(line) && /^1970/.test(line))).toHaveLength(2);
  });

  it('says in one line with a hint when the job never ran in the store, and exits 1', async () => {
    const { code, stderr } = await sluice(['status', 'payments', '--store', root]);
    expect(code).toBe(1);
    expect(stderr).toBe(
      "sluice: job 'payments' has no record in this store: it never ran here\nhint: check the job name and --store (it must be the store the job runs with)\n",
    );
  });

  it('refuses a store location it cannot read as one', async () => {
    const { code, stderr } = await sluice(['status', 'orders', '--store', 'bucket/prefix']);
    expect(code).toBe(2);
    expect(stderr).toContain("--store 'bucket/prefix' is ambiguous");
  });
});
