import { ManualClock, MemoryStore, StreamingContext } from '../../src/engine';
import { S3Store } from '../../src/engine/io/s3-store';
import { configFromEnv, type RuntimeConfig } from '../../src/engine/runtime/config';
import { startCoordinator } from '../../src/engine/runtime/lambda';
import { type LocalKinesis, startKinesalite } from '../support/kinesalite';
import { type LocalS3, startS3rver } from '../support/s3rver';

describe('configuration errors fail at start with a clear message', () => {
  let kinesis: LocalKinesis;
  let s3: LocalS3;

  beforeAll(async () => {
    kinesis = await startKinesalite();
    s3 = await startS3rver();
  }, 30_000);

  afterAll(async () => {
    await kinesis?.stop();
    await s3?.stop();
  });

  it('names a Kinesis stream that does not exist, before any batch runs', async () => {
    const ssc = new StreamingContext({ batchInterval: '1s', name: 'nostream' });
    ssc.kinesisStream({ streamName: 'no-such-stream', client: kinesis.client }).print();
    const store = new MemoryStore();
    ssc.start({ store, clock: new ManualClock(0, { autoAdvance: true }), zeroTime: 0, batches: 3 });
    await expect(ssc.awaitTermination()).rejects.toThrow(/no-such-stream.*(does not exist|not found)/s);
    expect(await store.list('manifests/')).toEqual([]);
  });

  it('names a bucket that does not exist', async () => {
    const config: RuntimeConfig = {
      jobs: {
        quiet: {
          name: 'quiet',
          batchInterval: '1s',
          build(ssc) {
            ssc.queueStream([[1]]).print();
          },
        },
      },
      store: new S3Store({ client: s3.client, bucket: 'no-such-bucket' }),
      taskParallelism: 1,
    };
    await expect(startCoordinator(config, { job: 'quiet', clock: new ManualClock(0) })).rejects.toThrow(
      /no-such-bucket.*does not exist/,
    );
  });

  it('names the configured jobs when the requested job is unknown', async () => {
    const config: RuntimeConfig = { jobs: {}, store: new MemoryStore(), taskParallelism: 1 };
    await expect(startCoordinator(config, { job: 'ghost' })).rejects.toThrow(/unknown job 'ghost'/);
  });

  it('calls a job named like an Object member unknown, naming the configured jobs', async () => {
    const config: RuntimeConfig = {
      jobs: { quiet: { name: 'quiet', batchInterval: '1s', build: (ssc) => ssc.queueStream([[1]]).print() } },
      store: new MemoryStore(),
      taskParallelism: 1,
    };
    for (const job of ['constructor', '__proto__', 'toString']) {
      await expect(startCoordinator(config, { job })).rejects.toThrow(
        new RegExp(`unknown job '${job}': configured jobs are quiet`),
      );
    }
  });

  it('names SLUICE_STORE, its value and the accepted forms when the store location is mistyped', () => {
    const env = { SLUICE_JOBS: JSON.stringify({ quiet: '/nowhere/quiet.ts' }) };
    expect(() => configFromEnv({ ...env, SLUICE_STORE: 's3:/my-bucket/sluice' })).toThrow(
      /SLUICE_STORE 's3:\/my-bucket\/sluice' is not an S3 location: it must start with 's3:\/\/'; use s3:\/\/bucket\/prefix\//,
    );
    expect(() => configFromEnv({ ...env, SLUICE_STORE: 'my-bucket/sluice' })).toThrow(
      /SLUICE_STORE 'my-bucket\/sluice' is ambiguous: a relative directory must start with '\.\/'/,
    );
  });
});
