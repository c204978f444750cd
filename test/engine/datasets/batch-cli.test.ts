import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Request, ServiceErrors } from '../../../examples/batch/service-errors';
import { loadBatchJob, parseBatchArgs, runBatchCli } from '../../../src/engine/runtime/batch-main';

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

describe('npm run batch', () => {
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

  it('prints a table by default', async () => {
    let printed = '';
    await runBatchCli([EXAMPLE], (text) => {
      printed = text;
    });
    expect(printed.split('\n')[0]).toBe('service | owner     | requests | errors | errorRate');
    expect(printed).toMatch(/\(5 rows\)$/);
  });

  it('refuses bad arguments and modules that export no batch job, in one line', () => {
    expect(() => parseBatchArgs([])).toThrow(/no job module given; usage: npm run batch/);
    expect(() => parseBatchArgs(['job.ts', '--frob'])).toThrow(/unknown option --frob/);
    expect(() => parseBatchArgs(['job.ts', '--store'])).toThrow(/--store needs a location/);
    expect(() => loadBatchJob(join(__dirname, '../../../examples/jobs/wordcount.ts'))).toThrow(
      /does not export a batch job/,
    );
    expect(() => loadBatchJob('examples/batch/missing.ts')).toThrow(/^cannot load job module [^\n]*$/);
  });
});
