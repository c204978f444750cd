import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Request, ServiceErrors } from '../../../examples/batch/service-errors';
import { FsStore, readManifest } from '../../../src/engine';
import { jobStoreIn } from '../../../src/engine/catalog/layout';
import { main } from '../../../src/engine/cli/main';
import { loadBatchJob } from '../../../src/engine/runtime/batch-run';

/** `sluice batch <args>` in this process: what it printed, or the exit code and error output. */
async function runBatchCli(args: string[], out: (text: string) => void): Promise<void> {
  const errors: string[] = [];
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    errors.push(String(chunk));
    return true;
  });
  try {
    const code = await main(['batch', ...args], out);
    if (code !== 0) throw new Error(`exit ${code}: ${errors.join('')}`);
  } finally {
    stderr.mockRestore();
  }
}

const EXAMPLE = join(__dirname, '../../../examples/batch/service-errors.ts');
const DATA = join(__dirname, '../../../examples/batch/data');

/** The example's numbers computed directly from its files. */
function expectedErrors(): Record<string, { requests: number; errors: number; owner: string }> {
  const owners = new Map<string, string>(
    readFileSync(join(DATA, 'owners/owners.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line)),
  );
  const totals: Record<string, { requests: number; errors: number; owner: string }> = {};
  for (const file of readdirSync(join(DATA, 'requests'))) {
    for (const line of readFileSync(join(DATA, 'requests', file), 'utf8')
      .trim()
      .split('\n')) {
      const request = JSON.parse(line) as Request;
      totals[request.service] ??= { requests: 0, errors: 0, owner: owners.get(request.service)! };
      totals[request.service].requests++;
      if (request.status >= 500) totals[request.service].errors++;
    }
  }
  return totals;
}

describe('sluice batch', () => {
  it("prints the example job's result as JSON, equal to a direct computation", async () => {
    let printed = '';
    await runBatchCli([EXAMPLE, '--json'], (text) => {
      printed = text;
    });
    const rows = JSON.parse(printed) as ServiceErrors[];
    const byService = Object.fromEntries(
      rows.map((r) => [r.service, { requests: r.requests, errors: r.errors, owner: r.owner }]),
    );
    expect(byService).toEqual(expectedErrors());
    const rates = rows.map((r) => r.errorRate);
    expect(rates).toEqual([...rates].sort((a, b) => b - a));
  });

  it('runs the job on worker threads that load its module, with the same result', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sluice-batch-'));
    try {
      let printed = '';
      await runBatchCli([EXAMPLE, '--json', '--runtime', 'threads', '--store', root], (text) => {
        printed = text;
      });
      const rows = JSON.parse(printed) as ServiceErrors[];
      expect(Object.fromEntries(rows.map((r) => [r.service, r.errors]))).toEqual(
        Object.fromEntries(Object.entries(expectedErrors()).map(([service, e]) => [service, e.errors])),
      );
      const manifest = await readManifest(jobStoreIn(new FsStore({ root }), 'service-errors'), 1000);
      expect(manifest?.status).toBe('committed');
      expect(manifest?.stages.some((stage) => stage.location === 'tasks')).toBe(true);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 60_000);

  it('prints a table by default', async () => {
    let printed = '';
    await runBatchCli([EXAMPLE], (text) => {
      printed = text;
    });
    expect(printed.split('\n')[0]).toBe('service | owner     | requests | errors | errorRate');
    expect(printed).toMatch(/\(5 rows\)$/);
  });

  it('refuses bad arguments with exit 2 and modules that export no batch job, in one line', async () => {
    const refused = (args: string[]) => runBatchCli(args, () => undefined);
    await expect(refused([])).rejects.toThrow(/exit 2: error: missing required argument 'job'/);
    await expect(refused(['job.ts', '--frob'])).rejects.toThrow(/exit 2: error: unknown option '--frob'/);
    await expect(refused(['job.ts', '--store'])).rejects.toThrow(
      /exit 2: error: option '--store <location>' argument missing/,
    );
    await expect(refused(['job.ts', '--runtime', 'lambda'])).rejects.toThrow(
      /exit 2: sluice: --runtime must be memory or threads/,
    );
    await expect(refused(['job.ts', '--workers', '0'])).rejects.toThrow(
      /--workers must be a positive whole number/,
    );
    expect(() => loadBatchJob(join(__dirname, '../../../examples/jobs/wordcount.ts'))).toThrow(
      /does not export a batch job/,
    );
    expect(() => loadBatchJob('examples/batch/missing.ts')).toThrow(/^cannot load job module [^\n]*$/);
  });
});
