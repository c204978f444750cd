import { resolve } from 'node:path';
import type { Pair } from '../../../src/engine';
import { ManualClock } from '../../../src/engine/io/clock';
import { MemoryStore } from '../../../src/engine/io/memory-store';
import { storeFrom } from '../../../src/engine/io/store-location';
import { snapshot } from '../../../src/engine/query';
import { startEmbedded } from '../../../src/engine/runtime';
import { type LocalS3, startS3rver } from '../../support/s3rver';
import job, { recorded } from './fixtures/word-state-job';
import { contentsOf } from './helpers';

describe('snapshot of a job whose store is an s3:// location', () => {
  let s3: LocalS3;
  const saved = { ...process.env };

  beforeAll(async () => {
    s3 = await startS3rver('sluice-query');
    // As the local AWS runtime sets them for its processes.
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
    });
  });

  afterAll(async () => {
    process.env = saved;
    await s3.stop();
  });

  it('reads the job under jobs/<name>/ of the location, as the runtime lays it out', async () => {
    // The job ran on a root store; its objects are then put in the bucket under the location's prefix.
    const root = new MemoryStore();
    await startEmbedded({
      jobModule: resolve(__dirname, 'fixtures/word-state-job.ts'),
      runtime: 'memory',
      store: root,
      clock: new ManualClock(0, { autoAdvance: true }),
      batches: 6,
    }).done;
    const bucket = storeFrom('s3://sluice-query/runs/', s3.endpoint);
    for (const [key, body] of await contentsOf(root)) await bucket.put(key, body!);
    const before = await contentsOf(bucket);

    const totals = await snapshot<Pair<string, number>>(job, 'totals', { store: 's3://sluice-query/runs/' });
    expect(totals.time).toBe(6000);
    expect(await totals.collect()).toEqual(recorded.get('totals')!.get(6000));
    expect(await contentsOf(bucket)).toEqual(before);
  }, 30_000);
});
