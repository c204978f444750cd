/**
 * `npm run chaos -- --seeds N --batches B [--path aws]`: runs a windowed, stateful word count with every
 * fault kind on, in every seed, and compares every batch's sink output with a fault-free reference.
 * Prints one JSON line per seed and a summary line with the count of each kind; exits non-zero on any
 * mismatch, lost or duplicated row, or a kind that did not occur in some seed.
 *
 * Kinds (see docs/BENCHMARKS.md, "Chaos"): task failures and stragglers; lost cached data; coordinator
 * crashes at named points; a coordinator killed mid sink output; a coordinator paused past its lease
 * while another takes over (its writes must be refused); S3 503 SlowDown bursts past the SDK's retries;
 * Lambda TooManyRequestsException bursts; late and duplicate task invocations; transient data expired
 * by a lifecycle rule; poison records (dead-lettered). The AWS path adds Kinesis throttling and empty
 * pages, and S3/Kinesis endpoint restarts.
 */
import { parseArgs } from 'node:util';
import { runChaosSeed, runToEnd } from './chaos/embedded';
import { type Kinds, missingKinds, type SeedReport } from './chaos/kinds';

export { compareOutputs } from './chaos/compare';
export type { SeedReport } from './chaos/kinds';
export { chaosPipeline, inputsFor, type Row } from './chaos/pipeline';
export { runChaosSeed, runToEnd };

async function main() {
  const { values } = parseArgs({
    options: {
      seeds: { type: 'string', default: '20' },
      batches: { type: 'string', default: '60' },
      path: { type: 'string', default: 'embedded' },
      'first-seed': { type: 'string', default: '1' },
    },
  });
  if (values.path !== 'embedded' && values.path !== 'aws') {
    process.stderr.write(`chaos: --path must be 'embedded' or 'aws', got '${values.path}'\n`);
    process.exit(2);
  }
  // The local AWS path (kinesalite, s3rver, Lambda endpoint, restarting endpoints) lives in its own module.
  const runSeed: (seed: number, batches: number) => Promise<SeedReport> =
    values.path === 'aws' ? (await import('./chaos-aws')).runAwsChaosSeed : runChaosSeed;
  const seeds = Number(values.seeds);
  const batches = Number(values.batches);
  const first = Number(values['first-seed']);
  if (!(Number.isInteger(seeds) && seeds > 0 && Number.isInteger(batches) && batches > 0)) {
    process.stderr.write('chaos: --seeds and --batches must be positive whole numbers\n');
    process.exit(2);
  }
  const started = Date.now();
  const total = { seeds, batches, faults: 0, mismatches: 0, lost: 0, duplicated: 0 };
  const kinds: Partial<Kinds> = {};
  const missing: string[] = [];
  const deadLetters = { injected: 0, distinct: 0, listed: 0 };
  for (let seed = first; seed < first + seeds; seed++) {
    const report = await runSeed(seed, batches);
    process.stdout.write(`${JSON.stringify(report)}\n`);
    for (const [kind, n] of Object.entries(report.faults) as [keyof Kinds, number][]) {
      kinds[kind] = (kinds[kind] ?? 0) + n;
      total.faults += n;
    }
    for (const kind of missingKinds(report, values.path)) missing.push(`${kind} (seed ${seed})`);
    deadLetters.injected += report.deadLetters.injected;
    deadLetters.distinct += report.deadLetters.distinct;
    deadLetters.listed += report.deadLetters.listed;
    total.mismatches += report.mismatches;
    total.lost += report.lost;
    total.duplicated += report.duplicated;
  }
  const seconds = Math.round((Date.now() - started) / 1000);
  process.stdout.write(
    `${JSON.stringify({ ...total, kinds, deadLetters, ...(missing.length > 0 ? { missingKinds: missing } : {}), seconds })}\n`,
  );
  if (total.mismatches > 0 || total.lost > 0 || total.duplicated > 0 || missing.length > 0) {
    process.exitCode = 1;
  }
}

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`${error?.stack ?? error}\n`);
    process.exitCode = 1;
  });
}
