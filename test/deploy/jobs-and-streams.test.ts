/**
 * The `jobs` and `streams` parameters are checked before they become schedules and IAM grants
 * (serverless.jobs.js, serverless.streams.js): a malformed or unknown one must stop packaging, naming it.
 */
const { checkJobs, deploymentOf } = require('../../serverless.jobs.js') as {
  checkJobs: (jobs: string | undefined, registered: string[]) => string[];
  deploymentOf: (names: string[]) => { coordinatorConcurrency: number; listPrefixes: string[] };
};
const { checkStreams, streamsOf } = require('../../serverless.streams.js') as {
  checkStreams: (params: Record<string, string | undefined>) => string[];
  streamsOf: (entries: string[]) => { existing: string; readable: unknown[] };
};

const registered = ['wordcount', 'clicks', 'traffic.v2', 'video_kinesis-1'];

describe('the jobs parameter', () => {
  it('accepts registered names in order, trimming spaces around commas', () => {
    expect(checkJobs('wordcount', registered)).toEqual(['wordcount']);
    expect(checkJobs('clicks, wordcount,traffic.v2', registered)).toEqual([
      'clicks',
      'wordcount',
      'traffic.v2',
    ]);
    expect(checkJobs('video_kinesis-1', registered)).toEqual(['video_kinesis-1']);
  });

  it.each([
    ['', /jobs is empty; name at least one job/],
    [' , ', /jobs is empty/],
    ['wordcount,,clicks', /jobs 'wordcount,,clicks' has an empty name/],
    ['wordcount,', /has an empty name/],
    // IAM wildcards and key separators would widen or misplace the grants.
    ['word*', /job name 'word\*' in jobs must be letters, digits/],
    ['a?c', /job name 'a\?c' in jobs must be/],
    ['jobs/wordcount', /job name 'jobs\/wordcount' in jobs must be/],
    ['-wordcount', /job name '-wordcount' in jobs must be .*starting with a letter or digit/],
    ['wordcount,wordcount', /job 'wordcount' is listed twice/],
    [
      'clickz',
      /job 'clickz' in jobs is not registered in functions\/jobs\.ts \(registered: wordcount, clicks/,
    ],
  ])('refuses %j, saying what is wrong', (jobs, message) => {
    expect(() => checkJobs(jobs, registered)).toThrow(message);
  });

  it('refuses an unset parameter like an empty one', () => {
    expect(() => checkJobs(undefined, registered)).toThrow(/jobs is empty/);
  });

  it('caps coordinators at two per job and lists each job by its own prefix', () => {
    expect(deploymentOf(['wordcount']).coordinatorConcurrency).toBe(2);
    const three = deploymentOf(['wordcount', 'clicks', 'traffic.v2']);
    expect(three.coordinatorConcurrency).toBe(6);
    expect(three.listPrefixes).toEqual([
      'sluice/jobs/wordcount/*',
      'sluice/transient/wordcount/*',
      'sluice/jobs/clicks/*',
      'sluice/transient/clicks/*',
      'sluice/jobs/traffic.v2/*',
      'sluice/transient/traffic.v2/*',
    ]);
  });
});

describe('the streams parameter', () => {
  const arn = 'arn:aws:kinesis:eu-west-1:123456789012:stream/clicks';

  it('is empty by default: the stack creates its stream and reads only that one', () => {
    expect(checkStreams({})).toEqual([]);
    expect(checkStreams({ streams: '', streamArn: '' })).toEqual([]);
    expect(streamsOf([])).toEqual({ existing: '', readable: [{ 'Fn::GetAtt': ['EventStream', 'Arn'] }] });
  });

  it('accepts names and ARNs, and streamArn as the older spelling of one', () => {
    expect(checkStreams({ streams: `orders, ${arn}` })).toEqual(['orders', arn]);
    expect(checkStreams({ streamArn: arn })).toEqual([arn]);
    expect(
      checkStreams({ streams: 'arn:aws-cn:kinesis:cn-north-1:123456789012:stream/a.b_c-d' }),
    ).toHaveLength(1);
    expect(streamsOf(['orders', arn]).existing).toBe(`orders,${arn}`);
    expect(streamsOf([arn]).readable).toEqual([arn]);
  });

  it.each([
    [{ streams: 'orders', streamArn: arn }, /both streams and streamArn are set/],
    [{ streams: 'orders,,clicks' }, /streams 'orders,,clicks' has an empty entry/],
    [{ streams: 'orders*' }, /'orders\*' in streams is not a Kinesis stream name/],
    [{ streams: 'a/b' }, /'a\/b' in streams is not a Kinesis stream name/],
    [{ streams: 'arn:aws:kinesis:eu-west-1:123456789012:stream/*' }, /is not a Kinesis stream ARN/],
    [{ streams: 'arn:aws:s3:::bucket' }, /'arn:aws:s3:::bucket' in streams is not a Kinesis stream ARN/],
    [{ streamArn: 'arn:aws:kinesis:eu-west-1:12345:stream/clicks' }, /is not a Kinesis stream ARN/],
    [{ streams: 'orders,orders' }, /names a stream twice/],
  ])('refuses %j, saying what is wrong', (params, message) => {
    expect(() => checkStreams(params)).toThrow(message);
  });
});
