/**
 * The deployment as CloudFormation sees it: `serverless package` renders the template offline, and these
 * tests read it for what the stack will do (what expires, who may write what, what runs when), finding
 * resources by type and by what they are wired to rather than by the logical ids Serverless generates.
 */

import { COORDINATOR_MEMORY_MB } from '../../src/engine/cost';
import { DEFAULT_TASK_MEMORY_MB } from '../../src/engine/io/metering';
import {
  attOf,
  isTrue,
  type Json,
  listAllowed,
  mayAllow,
  only,
  type Packaged,
  packageTemplate,
  resolve,
  resolveList,
  resourcesOfType,
  roleOf,
  roleStatements,
  type Statement,
  surelyAllows,
  type Template,
  wildcard,
} from './cloudformation';

const existingStream = 'arn:aws:kinesis:us-east-1:123456789012:stream/existing-events';
const alarmTopic = 'arn:aws:sns:us-east-1:123456789012:sluice-ops';

// The user's own buckets: where file streams and datasets read, and where a bucket sink writes.
const userBuckets = {
  inputBucket: 'acme-landing',
  inputPrefix: 'landing/',
  outputBucket: 'acme-lake',
  outputPrefix: 'sluice/out/',
};

// Two jobs of functions/jobs.ts reading two existing streams: one by name (in the stack's own account and
// region), one by ARN.
const twoJobs = ['wordcount', 'video-kinesis'];
const namedStream = 'orders';
const namedStreamArn = 'arn:aws:kinesis:us-east-1:123456789012:stream/orders';
const streamByArn = 'arn:aws:kinesis:us-east-1:123456789012:stream/clicks';

let defaults: Packaged;
let custom: Packaged;
let buckets: Packaged;
let multi: Packaged;

beforeAll(async () => {
  // One after the other: serverless-esbuild builds in the repository's .esbuild/ directory.
  defaults = await packageTemplate('citest');
  custom = await packageTemplate('citest', { streamArn: existingStream, alarmTopic });
  buckets = await packageTemplate('citest', userBuckets);
  multi = await packageTemplate('citest', {
    jobs: twoJobs.join(','),
    streams: `${namedStream},${streamByArn}`,
  });
  const took = [defaults, custom, buckets, multi].map((p) => `${p.ms} ms`).join(', ');
  console.info(`serverless package took ${took}`);
}, 300_000);

/** What the rendered template wires together, found by type and wiring. */
function deployment(template: Template) {
  const functions = resourcesOfType(template, 'AWS::Lambda::Function');
  const byHandler = (dir: string) => {
    const found = functions.filter(([, f]) => String(f.Properties.Handler).startsWith(`functions/${dir}/`));
    if (found.length !== 1) throw new Error(`expected one ${dir} function`);
    return found[0];
  };
  const [coordinatorId, coordinator] = byHandler('coordinator');
  const [taskId, task] = byHandler('task');
  // The bucket the handlers are told to use (SLUICE_STORE=s3://<bucket>/sluice/).
  const store = String(coordinator.Properties.Environment.Variables.SLUICE_STORE);
  const [, bucketName, root] = /^s3:\/\/([^/]+)\/(.*)$/.exec(store) ?? [];
  const [bucketId, bucket] = only(template, 'AWS::S3::Bucket', (p) => p.BucketName === bucketName);
  // The watchdogs: every schedule rule that invokes the coordinator, with the event it sends.
  const watchdogs = resourcesOfType(template, 'AWS::Events::Rule')
    .filter(([, r]) =>
      (r.Properties.Targets ?? []).some((t: Json) => t.Arn?.['Fn::GetAtt']?.[0] === coordinatorId),
    )
    .map(([ruleId, rule]) => {
      const targets = rule.Properties.Targets.filter((t: Json) => t.Arn['Fn::GetAtt'][0] === coordinatorId);
      if (targets.length !== 1)
        throw new Error(`rule ${ruleId} invokes the coordinator ${targets.length} times`);
      return { ruleId, rule, input: JSON.parse(targets[0].Input) };
    });
  // A deployment of one job: its one watchdog (tests of several jobs read `watchdogs`).
  const [{ ruleId, rule, input: watchdogInput }] = watchdogs;
  return {
    watchdogs,
    coordinatorId,
    coordinator,
    taskId,
    task,
    bucketId,
    bucket,
    root,
    ruleId,
    rule,
    watchdogInput,
    job: String(watchdogInput.job),
    coordinatorRole: roleStatements(template, roleOf(coordinator)),
    taskRole: roleStatements(template, roleOf(task)),
    /** The S3 object ARN of a key, as the resolved IAM statements spell the bucket. */
    objectArn: (key: string) => `arn:aws:s3:::{Ref:${bucketId}}/${key}`,
    bucketArn: `arn:aws:s3:::{Ref:${bucketId}}`,
  };
}

/** Sample keys of the store layout for job `job`, grouped by who may write them. */
function keys(job: string) {
  const jobs = `sluice/jobs/${job}`;
  return {
    fences: [
      `${jobs}/job.json`,
      `${jobs}/lease.json`,
      `${jobs}/manifests/000000000001000.json`,
      `${jobs}/commits/000000000001000.json`,
      `${jobs}/sinks/out/000000000001000/_COMMITTED`,
      // A batch written as one object commits it: only the coordinator writes those.
      `${jobs}/sinks/out/000000000001000/batch.jsonl`,
    ],
    taskOutputs: [
      `sluice/transient/${job}/batches/000000000001000/shuffle/3/7.bin`,
      `sluice/transient/${job}/batches/000000000001000/results/task-2.bin`,
      `${jobs}/checkpoints/000000000010000/state-0.bin`,
      `${jobs}/sinks/out/000000000001000/part-00000.jsonl`,
      `${jobs}/deadletters/000000000001000/shardId-000000000000.json`,
    ],
    otherJobs: [
      'sluice/jobs/otherjob/sinks/x/1/part-00000.jsonl',
      'sluice/jobs/otherjob/lease.json',
      `sluice/jobs/${job}x/checkpoints/1/state-0.bin`,
      'sluice/transient/otherjob/batches/1/block-0.bin',
      'sluice/other/thing.json',
      'outside-the-root.json',
    ],
  };
}

const s3Actions = (statements: Statement[]) =>
  statements.filter((s) => s.Effect === 'Allow').flatMap((s) => s.Action.filter((a) => /^s3:/i.test(a)));

describe('the rendered CloudFormation template', () => {
  it('expires only transient batch data by lifecycle, never job identity, manifests, checkpoints, sinks or dead letters', () => {
    const { bucket, root, job } = deployment(defaults.template);
    expect(root).toBe('sluice/');
    const rules: Json[] = bucket.Properties.LifecycleConfiguration.Rules.filter(
      (r: Json) => r.Status === 'Enabled',
    );
    const prefixOf = (r: Json) => r.Prefix ?? r.Filter?.Prefix ?? '';
    const expires = (r: Json) =>
      r.ExpirationInDays !== undefined ||
      r.ExpirationDate !== undefined ||
      r.NoncurrentVersionExpiration !== undefined ||
      r.NoncurrentVersionExpirationInDays !== undefined ||
      (r.Transitions ?? r.Transition) !== undefined;
    const expiringRulesFor = (key: string) => rules.filter((r) => expires(r) && key.startsWith(prefixOf(r)));
    for (const r of rules.filter(expires)) {
      expect(r.TagFilters ?? r.Filter?.TagFilters ?? r.ObjectSizeGreaterThan).toBeUndefined();
    }

    const { fences, taskOutputs } = keys(job);
    const durable = [...fences, ...taskOutputs.filter((k) => k.startsWith('sluice/jobs/'))];
    for (const key of durable) expect({ key, rules: expiringRulesFor(key) }).toEqual({ key, rules: [] });
    for (const key of taskOutputs.filter((k) => k.startsWith('sluice/transient/'))) {
      expect(expiringRulesFor(key).map((r) => r.ExpirationInDays)).toEqual([7]);
    }
    // Incomplete multipart uploads are aborted everywhere (they are not objects anyone can read).
    expect(
      rules.some((r) => prefixOf(r) === '' && r.AbortIncompleteMultipartUpload?.DaysAfterInitiation >= 1),
    ).toBe(true);
  });

  it('denies every non-TLS request to the bucket, blocks public access and encrypts at rest', () => {
    const { template } = defaults;
    const { bucketId, bucket } = deployment(template);
    const [, policy] = only(template, 'AWS::S3::BucketPolicy', (p) => p.Bucket?.Ref === bucketId);
    const bucketArn = attOf(bucketId, 'Arn');
    const tlsOnly = policy.Properties.PolicyDocument.Statement.filter(
      (s: Json) =>
        s.Effect === 'Deny' &&
        (s.Principal === '*' || s.Principal?.AWS === '*') &&
        [s.Action].flat().includes('s3:*') &&
        String(s.Condition?.Bool?.['aws:SecureTransport']) === 'false',
    );
    expect(tlsOnly).toHaveLength(1);
    const resources = [tlsOnly[0].Resource].flat().map((r: Json) => resolve(template, r));
    for (const arn of [bucketArn, `${bucketArn}/sluice/jobs/any/lease.json`, `${bucketArn}/anything`]) {
      expect(resources.some((r) => wildcard(r).test(arn))).toBe(true);
    }

    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
      { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
    ]);
  });

  it('encrypts the Kinesis stream with the AWS-managed key, which both roles read without KMS grants', () => {
    const { template } = defaults;
    const streams = resourcesOfType(template, 'AWS::Kinesis::Stream');
    expect(streams).toHaveLength(1);
    const [streamId, stream] = streams[0];
    // The stream exists unless an existing one is named.
    expect(stream.Condition === undefined || isTrue(template, stream.Condition)).toBe(true);
    expect(stream.Properties.StreamEncryption).toEqual({ EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' });

    const { coordinatorRole, taskRole } = deployment(template);
    for (const role of [coordinatorRole, taskRole]) {
      for (const action of ['DescribeStreamSummary', 'ListShards', 'GetShardIterator', 'GetRecords']) {
        expect(surelyAllows(role, `kinesis:${action}`, attOf(streamId, 'Arn'))).toBe(true);
      }
      expect(mayAllow(role, 'kinesis:PutRecords', attOf(streamId, 'Arn'))).toBe(false);
      expect(role.filter((s) => s.Action.some((a) => /^kms:/i.test(a)))).toEqual([]);
    }
  });

  it('lets tasks neither delete objects nor write leases, manifests, commits or sink markers', () => {
    const { taskRole, objectArn, job } = deployment(defaults.template);
    const { fences, otherJobs, taskOutputs } = keys(job);

    // No statement grants a delete of any kind, or anything beyond object reads, writes and listing.
    expect(new Set(s3Actions(taskRole))).toEqual(new Set(['s3:GetObject', 's3:PutObject', 's3:ListBucket']));

    // Each Allow that grants PutObject, pattern by pattern, stays off the fences and other jobs...
    const putAllows = taskRole.filter(
      (s) => s.Effect === 'Allow' && s.Action.some((a) => wildcard(a, 'i').test('s3:PutObject')),
    );
    expect(putAllows.length).toBeGreaterThan(0);
    for (const pattern of putAllows.flatMap((s) => s.Resource)) {
      for (const key of [...fences, ...otherJobs]) {
        expect({ pattern, key, matches: wildcard(pattern).test(objectArn(key)) }).toEqual({
          pattern,
          key,
          matches: false,
        });
      }
    }
    // ...and with Deny statements counted, so does a marker under a directory that looks like a part file
    // (IAM's * crosses '/': sinks/*/part-* alone would match it).
    const tricky = [
      `sluice/jobs/${job}/sinks/a/part-1/_COMMITTED`,
      `sluice/jobs/${job}/sinks/part-x/1/_COMMITTED`,
    ];
    for (const key of [...fences, ...otherJobs, ...tricky, ...taskOutputs]) {
      expect({ key, put: mayAllow(taskRole, 's3:PutObject', objectArn(key)) }).toEqual({
        key,
        put: taskOutputs.includes(key),
      });
      for (const action of ['s3:DeleteObject', 's3:DeleteObjectVersion', 's3:AbortMultipartUpload']) {
        expect(mayAllow(taskRole, action, objectArn(key))).toBe(false);
      }
    }
  });

  it('lets tasks write transient data, checkpoints, sink part files and dead letters of their own job', () => {
    const { taskRole, objectArn, job } = deployment(defaults.template);
    for (const key of keys(job).taskOutputs) {
      expect({ key, put: surelyAllows(taskRole, 's3:PutObject', objectArn(key)) }).toEqual({
        key,
        put: true,
      });
    }
  });

  it('lets tasks read and list their own job and nothing else', () => {
    const { taskRole, objectArn, bucketArn, job } = deployment(defaults.template);
    const { fences, taskOutputs, otherJobs } = keys(job);
    for (const key of [...fences, ...taskOutputs]) {
      expect({ key, get: surelyAllows(taskRole, 's3:GetObject', objectArn(key)) }).toEqual({
        key,
        get: true,
      });
    }
    for (const key of otherJobs) {
      expect({ key, get: mayAllow(taskRole, 's3:GetObject', objectArn(key)) }).toEqual({ key, get: false });
    }
    expectListing(taskRole, bucketArn, job);
  });

  it('lets the coordinator read, write and delete everything of its own job, and nothing of another job', () => {
    const { coordinatorRole, objectArn, bucketArn, job } = deployment(defaults.template);
    const { fences, taskOutputs, otherJobs } = keys(job);
    expect(new Set(s3Actions(coordinatorRole))).toEqual(
      new Set(['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:ListBucket']),
    );
    for (const action of ['s3:GetObject', 's3:PutObject', 's3:DeleteObject']) {
      for (const key of [...fences, ...taskOutputs]) {
        expect({ action, key, ok: surelyAllows(coordinatorRole, action, objectArn(key)) }).toEqual({
          action,
          key,
          ok: true,
        });
      }
      for (const key of otherJobs) {
        expect({ action, key, ok: mayAllow(coordinatorRole, action, objectArn(key)) }).toEqual({
          action,
          key,
          ok: false,
        });
      }
    }
    expectListing(coordinatorRole, bucketArn, job);
  });

  it('lets the coordinator invoke tasks and its own successor, and tasks invoke nothing', () => {
    const { coordinatorRole, taskRole, coordinator, taskId } = deployment(defaults.template);
    const coordinatorArn = `arn:aws:lambda:us-east-1:123456789012:function:${coordinator.Properties.FunctionName}`;
    for (const arn of [attOf(taskId, 'Arn'), coordinatorArn, `${coordinatorArn}:$LATEST`]) {
      expect({ arn, invoke: surelyAllows(coordinatorRole, 'lambda:InvokeFunction', arn) }).toEqual({
        arn,
        invoke: true,
      });
    }
    expect(
      mayAllow(
        coordinatorRole,
        'lambda:InvokeFunction',
        'arn:aws:lambda:us-east-1:123456789012:function:other',
      ),
    ).toBe(false);
    expect(taskRole.filter((s) => s.Action.some((a) => /^lambda:/i.test(a)))).toEqual([]);
  });

  it('runs a watchdog every minute and sends coordinator failures to a queue with an alarm', () => {
    const { template } = defaults;
    const { watchdogs, rule, watchdogInput, job, coordinatorId, coordinatorRole } = deployment(template);
    expect(watchdogs).toHaveLength(1);
    expect(rule.Properties.ScheduleExpression).toBe('rate(1 minute)');
    expect(rule.Properties.State).toBe('ENABLED');
    expect(watchdogInput).toEqual({ job, watchdog: true });
    expect(job).toBe('wordcount');

    const [, invokeConfig] = only(
      template,
      'AWS::Lambda::EventInvokeConfig',
      (p) => p.FunctionName?.Ref === coordinatorId,
    );
    expect(invokeConfig.Properties.MaximumRetryAttempts).toBe(2);
    const destination = invokeConfig.Properties.DestinationConfig.OnFailure.Destination;
    const queueId = destination['Fn::GetAtt']?.[0];
    const queue = template.Resources[queueId];
    expect(queue.Type).toBe('AWS::SQS::Queue');
    expect(queue.Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
    expect(queue.Properties.SqsManagedSseEnabled ?? Boolean(queue.Properties.KmsMasterKeyId)).toBe(true);
    // Lambda delivers to the destination with the function's own role.
    expect(surelyAllows(coordinatorRole, 'sqs:SendMessage', attOf(queueId, 'Arn'))).toBe(true);

    const alarms = resourcesOfType(template, 'AWS::CloudWatch::Alarm').filter(
      ([, a]) =>
        a.Properties.Namespace === 'AWS/SQS' &&
        a.Properties.MetricName === 'ApproximateNumberOfMessagesVisible' &&
        a.Properties.Dimensions.some(
          (d: Json) => d.Name === 'QueueName' && resolve(template, d.Value) === attOf(queueId, 'QueueName'),
        ),
    );
    expect(alarms).toHaveLength(1);
    expectFiresOnAnyInFiveMinutes(alarms[0][1]);
  });

  it('lets an outgoing coordinator and its successor overlap (the lease, not concurrency, is the fence)', () => {
    const { coordinator, task } = deployment(defaults.template);
    expect(coordinator.Properties.ReservedConcurrentExecutions).toBe(2);
    expect(coordinator.Properties.Timeout).toBe(900);
    expect(task.Properties.ReservedConcurrentExecutions).toBeUndefined();
  });

  it('deploys the memory `npm run cost` prices: the coordinator as sized, tasks at one vCPU', () => {
    const { coordinator, task } = deployment(defaults.template);
    expect(coordinator.Properties.MemorySize).toBe(COORDINATOR_MEMORY_MB);
    expect(task.Properties.MemorySize).toBe(DEFAULT_TASK_MEMORY_MB);
  });

  it('alarms on coordinator errors and task throttles, notifying no one unless a topic is configured', () => {
    const { template } = defaults;
    const { coordinatorId, taskId } = deployment(template);
    const lambdaAlarm = (metric: string, functionId: string) => {
      const found = resourcesOfType(template, 'AWS::CloudWatch::Alarm').filter(
        ([, a]) =>
          a.Properties.Namespace === 'AWS/Lambda' &&
          a.Properties.MetricName === metric &&
          a.Properties.Dimensions.some((d: Json) => d.Name === 'FunctionName' && d.Value?.Ref === functionId),
      );
      expect(found).toHaveLength(1);
      return found[0][1];
    };
    const alarms = [lambdaAlarm('Errors', coordinatorId), lambdaAlarm('Throttles', taskId)];
    for (const alarm of alarms) expectFiresOnAnyInFiveMinutes(alarm);
    for (const [, alarm] of resourcesOfType(template, 'AWS::CloudWatch::Alarm')) {
      expect(resolveList(template, alarm.Properties.AlarmActions)).toBeUndefined();
    }
  });
});

describe('the rendered template for two jobs reading two existing streams', () => {
  it('runs one watchdog a minute per job, each sending its own job', () => {
    const { watchdogs } = deployment(multi.template);
    expect(watchdogs.map((w) => w.input)).toEqual(twoJobs.map((job) => ({ job, watchdog: true })));
    for (const { rule } of watchdogs) {
      expect(rule.Properties.ScheduleExpression).toBe('rate(1 minute)');
      expect(rule.Properties.State).toBe('ENABLED');
    }
  });

  it('lets the coordinators of both jobs run at once, each overlapping its successor', () => {
    const { coordinator } = deployment(multi.template);
    expect(coordinator.Properties.ReservedConcurrentExecutions).toBe(2 * twoJobs.length);
  });

  it("lets the coordinator read, write, delete and list each job's areas, and nothing of any other job", () => {
    const { coordinatorRole, objectArn, bucketArn } = deployment(multi.template);
    for (const job of twoJobs) {
      const { fences, taskOutputs, otherJobs } = keys(job);
      for (const action of ['s3:GetObject', 's3:PutObject', 's3:DeleteObject']) {
        for (const key of [...fences, ...taskOutputs]) {
          expect({ action, key, ok: surelyAllows(coordinatorRole, action, objectArn(key)) }).toEqual({
            action,
            key,
            ok: true,
          });
        }
        for (const key of otherJobs) {
          expect({ action, key, ok: mayAllow(coordinatorRole, action, objectArn(key)) }).toEqual({
            action,
            key,
            ok: false,
          });
        }
      }
      expectListing(coordinatorRole, bucketArn, job);
    }
  });

  it("lets tasks write each job's outputs, read its areas, and never write its fences", () => {
    const { taskRole, objectArn, bucketArn } = deployment(multi.template);
    const denies = taskRole.filter((s) => s.Effect === 'Deny' && s.Action.includes('s3:PutObject'));
    for (const job of twoJobs) {
      const { fences, taskOutputs, otherJobs } = keys(job);
      for (const key of taskOutputs) {
        expect({ key, put: surelyAllows(taskRole, 's3:PutObject', objectArn(key)) }).toEqual({
          key,
          put: true,
        });
      }
      for (const key of [...fences, ...taskOutputs]) {
        expect({ key, get: surelyAllows(taskRole, 's3:GetObject', objectArn(key)) }).toEqual({
          key,
          get: true,
        });
      }
      for (const key of [...fences, ...otherJobs]) {
        expect({ key, put: mayAllow(taskRole, 's3:PutObject', objectArn(key)) }).toEqual({ key, put: false });
      }
      for (const key of otherJobs) {
        expect({ key, get: mayAllow(taskRole, 's3:GetObject', objectArn(key)) }).toEqual({ key, get: false });
      }
      // The explicit Deny itself names every fence of every job, whatever the Allows grant.
      for (const key of fences) {
        const denied = denies.some((s) => s.Resource.some((r) => wildcard(r).test(objectArn(key))));
        expect({ key, denied }).toEqual({ key, denied: true });
      }
      expectListing(taskRole, bucketArn, job);
    }
  });

  it('reads exactly the named streams, by ARN or by name in its own region and account, and creates none', () => {
    const { template } = multi;
    const { coordinatorRole, taskRole } = deployment(template);
    const created = resourcesOfType(template, 'AWS::Kinesis::Stream').filter(
      ([, s]) => s.Condition === undefined || isTrue(template, s.Condition),
    );
    expect(created).toEqual([]);
    for (const role of [coordinatorRole, taskRole]) {
      const kinesis = role.filter((s) => s.Action.some((a) => /^kinesis:/i.test(a)));
      expect(kinesis.map((s) => s.Resource)).toEqual([[namedStreamArn, streamByArn]]);
      for (const stream of [namedStreamArn, streamByArn]) {
        for (const action of ['DescribeStreamSummary', 'ListShards', 'GetShardIterator', 'GetRecords']) {
          expect(surelyAllows(role, `kinesis:${action}`, stream)).toBe(true);
        }
        expect(mayAllow(role, 'kinesis:PutRecords', stream)).toBe(false);
      }
      const unnamed = 'arn:aws:kinesis:us-east-1:123456789012:stream/sluice-citest-events';
      expect(mayAllow(role, 'kinesis:GetRecords', unnamed)).toBe(false);
    }
  });

  it('refuses to package a job that functions/jobs.ts does not register, naming it', async () => {
    await expect(packageTemplate('citest', { jobs: 'wordcount,clicks' })).rejects.toThrow(
      /job 'clicks' in jobs is not registered in functions\/jobs\.ts/,
    );
  }, 120_000);
});

describe('the rendered template for an existing stream and an alarm topic', () => {
  it('reads the named stream and creates none', () => {
    const { template } = custom;
    const { coordinatorRole, taskRole } = deployment(template);
    const created = resourcesOfType(template, 'AWS::Kinesis::Stream').filter(
      ([, s]) => s.Condition === undefined || isTrue(template, s.Condition),
    );
    expect(created).toEqual([]);
    for (const role of [coordinatorRole, taskRole]) {
      expect(surelyAllows(role, 'kinesis:GetRecords', existingStream)).toBe(true);
      // Nothing in any statement still points at a stream that was not created.
      for (const s of role.filter((s) => s.Action.some((a) => /^kinesis:/i.test(a)))) {
        expect(s.Resource).toEqual([existingStream]);
      }
    }
  });

  it('sends every alarm to the topic', () => {
    const { template } = custom;
    const alarms = resourcesOfType(template, 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThanOrEqual(3);
    for (const [, alarm] of alarms) {
      expect(resolveList(template, alarm.Properties.AlarmActions)).toEqual([alarmTopic]);
    }
  });
});

function expectListing(role: Statement[], bucketArn: string, job: string) {
  expect(listAllowed(role, bucketArn, `sluice/jobs/${job}/`)).toBe(true);
  expect(listAllowed(role, bucketArn, `sluice/jobs/${job}/manifests/`)).toBe(true);
  expect(listAllowed(role, bucketArn, `sluice/transient/${job}/batches/`)).toBe(true);
  // No listing of the whole bucket, another job, or a prefix that also covers another job.
  expect(listAllowed(role, bucketArn, undefined)).toBe(false);
  expect(listAllowed(role, bucketArn, '')).toBe(false);
  expect(listAllowed(role, bucketArn, 'sluice/')).toBe(false);
  expect(listAllowed(role, bucketArn, `sluice/jobs/${job}`)).toBe(false);
  expect(listAllowed(role, bucketArn, 'sluice/jobs/otherjob/')).toBe(false);
}

function expectFiresOnAnyInFiveMinutes(alarm: Json) {
  const p = alarm.Properties;
  expect(p.Period * p.EvaluationPeriods).toBe(300);
  expect([p.ComparisonOperator, p.Threshold]).toEqual(['GreaterThanThreshold', 0]);
  expect(p.TreatMissingData).toBe('notBreaching');
}

describe("the rendered template for the user's input and output buckets", () => {
  const inputObject = (key: string) => `arn:aws:s3:::acme-landing/${key}`;
  const outputObject = (key: string) => `arn:aws:s3:::acme-lake/${key}`;
  const inputBucketArn = 'arn:aws:s3:::acme-landing';
  const outputBucketArn = 'arn:aws:s3:::acme-lake';
  const mentionsUserBucket = (s: Statement) => s.Resource.some((r) => /:::acme-(landing|lake)(\/|$)/.test(r));

  /** Keys a file stream or dataset reads, and keys next to them it must not. */
  const inputKeys = ['landing/a.csv', 'landing/2026/12/01/events.jsonl', 'landing/_SUCCESS'];
  const notInput = ['landingx/a.csv', 'other/landing/a.csv', 'a.csv'];
  /** A bucket sink's committed layout, its staged parts, and keys outside its prefix. */
  const committed = [
    'sluice/out/dt=2026-12-01/hour=15/batch-000001764601200000.jsonl',
    'sluice/out/dt=2026-12-01/hour=15/batch-000001764601200000-part-00003.csv',
  ];
  const staged = ['sluice/out/_staging/batch-000001764601200000/part-00003.csv'];
  const notOutput = ['sluice/outx/a.csv', 'sluice/a.csv', 'other/_staging/batch-1/part-00000.csv'];

  it('refuses to package a prefix that would widen the grant, naming the parameter', async () => {
    await expect(packageTemplate('citest', { ...userBuckets, outputPrefix: '*' })).rejects.toThrow(
      /outputPrefix '\*' must be a key prefix/,
    );
  }, 120_000);

  it('grants nothing on any other bucket when no input or output bucket is named', () => {
    const { template } = defaults;
    expect([isTrue(template, 'HasInput'), isTrue(template, 'HasOutput')]).toEqual([false, false]);
    const { coordinatorRole, taskRole, bucketId } = deployment(template);
    for (const role of [coordinatorRole, taskRole]) {
      const s3 = role.filter((s) => s.Action.some((a) => /^s3:/i.test(a)));
      for (const resource of s3.flatMap((s) => s.Resource)) {
        expect(resource).toMatch(new RegExp(`^arn:aws:s3:::\\{Ref:${bucketId}\\}(/|$)`));
      }
    }
  });

  it("keeps every grant on the job's own areas exactly as without the buckets", () => {
    const own = (role: Statement[]) => role.filter((s) => !mentionsUserBucket(s));
    const plain = deployment(defaults.template);
    const withBuckets = deployment(buckets.template);
    expect(own(withBuckets.coordinatorRole)).toEqual(plain.coordinatorRole);
    expect(own(withBuckets.taskRole)).toEqual(plain.taskRole);
  });

  it('grants exactly these statements on the user buckets, one purpose each', () => {
    const { coordinatorRole, taskRole } = deployment(buckets.template);
    const shape = (role: Statement[]) =>
      role.filter(mentionsUserBucket).map((s) => ({ ...s, Action: [...s.Action].sort() }));
    const listing = (prefix: string) => ({ StringLike: { 's3:prefix': [prefix] } });
    const readInput = {
      Sid: 'ReadInput',
      Effect: 'Allow',
      Action: ['s3:GetObject'],
      Resource: [inputObject('landing/*')],
      Condition: undefined,
    };
    const listInput = {
      Sid: 'ListInput',
      Effect: 'Allow',
      Action: ['s3:ListBucket'],
      Resource: [inputBucketArn],
      Condition: listing('landing/*'),
    };
    expect(shape(coordinatorRole)).toEqual([
      readInput,
      listInput,
      {
        Sid: 'WriteOutput',
        Effect: 'Allow',
        Action: ['s3:DeleteObject', 's3:GetObject', 's3:PutObject'],
        Resource: [outputObject('sluice/out/*')],
        Condition: undefined,
      },
      {
        Sid: 'ListOutput',
        Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: [outputBucketArn],
        Condition: listing('sluice/out/*'),
      },
    ]);
    expect(shape(taskRole)).toEqual([
      readInput,
      listInput,
      {
        Sid: 'StageOutputParts',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:PutObject'],
        Resource: [outputObject('sluice/out/_staging/*')],
        Condition: undefined,
      },
      {
        Sid: 'ListOutputStaging',
        Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: [outputBucketArn],
        Condition: listing('sluice/out/_staging/*'),
      },
    ]);
  });

  it('grants on one bucket do not depend on the other being named', () => {
    // As packaging without outputBucket (or inputBucket) renders the condition: Not(Equals('', '')).
    const without = (condition: string, param: string): Template => {
      const template: Template = structuredClone(buckets.template);
      const rendered = JSON.stringify(template.Conditions?.[condition]);
      expect(rendered).toContain(JSON.stringify(param));
      template.Conditions![condition] = JSON.parse(rendered.replace(JSON.stringify(param), '""'));
      return template;
    };
    const onBucket = (role: Statement[], bucket: string) =>
      role.filter((s) => s.Resource.some((r) => r.startsWith(`arn:aws:s3:::${bucket}`))).map((s) => s.Sid);
    const inputOnly = deployment(without('HasOutput', userBuckets.outputBucket));
    const outputOnly = deployment(without('HasInput', userBuckets.inputBucket));
    expect(onBucket(inputOnly.coordinatorRole, 'acme-lake')).toEqual([]);
    expect(onBucket(inputOnly.taskRole, 'acme-lake')).toEqual([]);
    expect(onBucket(inputOnly.taskRole, 'acme-landing')).toEqual(['ReadInput', 'ListInput']);
    expect(onBucket(outputOnly.coordinatorRole, 'acme-landing')).toEqual([]);
    expect(onBucket(outputOnly.taskRole, 'acme-landing')).toEqual([]);
    expect(onBucket(outputOnly.coordinatorRole, 'acme-lake')).toEqual(['WriteOutput', 'ListOutput']);
  });

  it('lets both roles read the input prefix (and list it, for NoSuchKey), and neither write nor delete there', () => {
    const { coordinatorRole, taskRole } = deployment(buckets.template);
    for (const role of [coordinatorRole, taskRole]) {
      for (const key of inputKeys) {
        expect({ key, get: surelyAllows(role, 's3:GetObject', inputObject(key)) }).toEqual({
          key,
          get: true,
        });
        for (const action of ['s3:PutObject', 's3:DeleteObject']) {
          expect({ key, action, ok: mayAllow(role, action, inputObject(key)) }).toEqual({
            key,
            action,
            ok: false,
          });
        }
      }
      for (const key of notInput) {
        expect({ key, get: mayAllow(role, 's3:GetObject', inputObject(key)) }).toEqual({ key, get: false });
      }
      expect(listAllowed(role, inputBucketArn, 'landing/')).toBe(true);
      for (const prefix of [undefined, '', 'landingx/', 'other/']) {
        expect({ prefix, list: listAllowed(role, inputBucketArn, prefix) }).toEqual({ prefix, list: false });
      }
    }
  });

  it('lets the coordinator write, read back and delete under the output prefix only', () => {
    const { coordinatorRole } = deployment(buckets.template);
    for (const action of ['s3:GetObject', 's3:PutObject', 's3:DeleteObject']) {
      for (const key of [...committed, ...staged]) {
        expect({ action, key, ok: surelyAllows(coordinatorRole, action, outputObject(key)) }).toEqual({
          action,
          key,
          ok: true,
        });
      }
      for (const key of notOutput) {
        expect({ action, key, ok: mayAllow(coordinatorRole, action, outputObject(key)) }).toEqual({
          action,
          key,
          ok: false,
        });
      }
    }
    expect(listAllowed(coordinatorRole, outputBucketArn, 'sluice/out/')).toBe(true);
    expect(listAllowed(coordinatorRole, outputBucketArn, 'sluice/')).toBe(false);
  });

  it('lets tasks stage sink parts but never write, read or delete the committed layout', () => {
    const { taskRole } = deployment(buckets.template);
    for (const key of staged) {
      for (const action of ['s3:PutObject', 's3:GetObject']) {
        expect({ action, key, ok: surelyAllows(taskRole, action, outputObject(key)) }).toEqual({
          action,
          key,
          ok: true,
        });
      }
    }
    for (const key of [...committed, ...notOutput]) {
      for (const action of ['s3:PutObject', 's3:GetObject']) {
        expect({ action, key, ok: mayAllow(taskRole, action, outputObject(key)) }).toEqual({
          action,
          key,
          ok: false,
        });
      }
    }
    for (const key of [...committed, ...staged]) {
      expect(mayAllow(taskRole, 's3:DeleteObject', outputObject(key))).toBe(false);
    }
    expect(listAllowed(taskRole, outputBucketArn, 'sluice/out/_staging/')).toBe(true);
    expect(listAllowed(taskRole, outputBucketArn, 'sluice/out/')).toBe(false);
    expect(listAllowed(taskRole, outputBucketArn, 'sluice/out/dt=2026-12-01/')).toBe(false);
  });
});
