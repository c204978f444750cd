/**
 * The jobs one deployment runs (stage parameter `jobs`, comma-separated names that functions/jobs.ts
 * registers), turned into the parts of serverless.yml and serverless.iam.yml that repeat per job: one
 * watchdog schedule each, the coordinator's reserved concurrency, and the job's store areas in IAM.
 * Names are checked before they become grants: an unknown job would deploy a schedule whose every tick
 * fails, and a malformed one a grant on other keys ('*' and '?' are IAM wildcards).
 */

/** As the engine checks job names (src/engine/api/streaming-context.ts): they name store keys. */
const JOB_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * An outgoing coordinator and its successor overlap briefly, so each job needs two; coordinators of
 * different jobs run at once, so the cap grows with the jobs. The lease of each job, not this cap, keeps
 * one coordinator driving it.
 */
const COORDINATORS_PER_JOB = 2;

const EXAMPLE = '--param jobs=wordcount,clicks';

/** The job names of `jobs` (a comma-separated list), in order; throws a message naming the problem. */
function checkJobs(jobs, registered) {
  const text = jobs === undefined || jobs === null ? '' : String(jobs);
  const names = text.split(',').map((name) => name.trim());
  if (names.every((name) => name === '')) {
    throw new Error(`jobs is empty; name at least one job that functions/jobs.ts registers, e.g. ${EXAMPLE}`);
  }
  const seen = new Set();
  for (const name of names) {
    if (name === '') {
      throw new Error(`jobs '${text}' has an empty name; separate names by single commas, e.g. ${EXAMPLE}`);
    }
    if (!JOB_NAME.test(name)) {
      throw new Error(
        `job name '${name}' in jobs must be letters, digits, '.', '_' or '-', starting with a letter or digit (it names store keys and IAM grants), e.g. ${EXAMPLE}`,
      );
    }
    if (seen.has(name))
      throw new Error(`job '${name}' is listed twice in jobs '${text}'; list each job once`);
    seen.add(name);
    if (!registered.includes(name)) {
      throw new Error(
        `job '${name}' in jobs is not registered in functions/jobs.ts (registered: ${registered.join(', ') || 'none'}); import its module there, or fix the name`,
      );
    }
  }
  return names;
}

/** `arn:<partition>:s3:::<data bucket>/<key pattern>`, as CloudFormation builds it. */
const objectArn = (key) => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::', { Ref: 'DataBucket' }, `/${key}`]],
});

/** The per-job parts of the configuration, for checked names. */
function deploymentOf(names) {
  const each = (keysOf) => names.flatMap(keysOf).map(objectArn);
  return {
    jobs: names.join(','),
    watchdogs: names.map((job) => ({
      // Every minute: start a coordinator for this job only if none holds its lease.
      schedule: {
        rate: 'rate(1 minute)',
        description: `sluice watchdog: starts a coordinator for job ${job} when none runs`,
        input: { job, watchdog: true },
      },
    })),
    coordinatorConcurrency: COORDINATORS_PER_JOB * names.length,
    // Each job's two areas: durable (sluice/jobs/<job>/) and transient (sluice/transient/<job>/).
    ownAreas: each((job) => [`sluice/jobs/${job}/*`, `sluice/transient/${job}/*`]),
    listPrefixes: names.flatMap((job) => [`sluice/jobs/${job}/*`, `sluice/transient/${job}/*`]),
    taskOutputs: each((job) => [
      `sluice/transient/${job}/*`,
      `sluice/jobs/${job}/checkpoints/*`,
      `sluice/jobs/${job}/sinks/*/part-*`,
      `sluice/jobs/${job}/deadletters/*`,
    ]),
    // What only the coordinator writes: job identity, lease, manifests, commits, sink commit markers and
    // sink batch objects (whose existence commits a batch).
    fences: each((job) => [
      `sluice/jobs/${job}/job.json`,
      `sluice/jobs/${job}/lease.json`,
      `sluice/jobs/${job}/manifests/*`,
      `sluice/jobs/${job}/commits/*`,
      `sluice/jobs/${job}/sinks/*/_COMMITTED`,
      `sluice/jobs/${job}/sinks/*/batch.jsonl`,
    ]),
  };
}

/** The names functions/jobs.ts registers, read the way the bundle will (TypeScript, through tsx). */
function registeredJobs() {
  const { require: requireTs } = require('tsx/cjs/api');
  const registry = requireTs('./functions/jobs.ts', __filename);
  return Object.keys(registry.jobs);
}

let registry;

/**
 * Serverless calls this for every `${file(./serverless.jobs.js):<name>}`, possibly before the `param`
 * source is ready (it then retries), so only the registry is loaded once. `job` (one job, before `jobs`)
 * is refused rather than ignored, so no deployment silently runs another job than the one asked for.
 */
async function resolveJobs({ resolveVariable }) {
  const legacy = await resolveVariable('param:job, null');
  if (legacy !== null && legacy !== undefined && legacy !== '') {
    throw new Error(`the job parameter is now jobs (a comma-separated list): pass --param jobs=${legacy}`);
  }
  const jobs = await resolveVariable('param:jobs');
  registry ??= registeredJobs();
  return deploymentOf(checkJobs(jobs, registry));
}

module.exports = resolveJobs;
module.exports.checkJobs = checkJobs;
module.exports.deploymentOf = deploymentOf;
