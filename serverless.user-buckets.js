/**
 * The user's bucket parameters (serverless.yml: inputBucket, inputPrefix, outputBucket, outputPrefix),
 * checked before serverless.iam.yml turns them into grants: a malformed one would deploy a grant on other
 * objects than the job uses, or a wider one ('*' and '?' in a prefix are IAM wildcards).
 */

/** S3 bucket names: 3-63 lowercase letters, digits, dots and hyphens, starting and ending alphanumeric. */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Throws a message naming the parameter and the form it needs; an empty bucket means "none". */
function checkLocation(kind, bucket, prefix) {
  const example = `--param ${kind}Bucket=my-bucket --param ${kind}Prefix=${kind === 'input' ? 'landing/' : 'lake/'}`;
  if (bucket === '') {
    if (prefix !== '') {
      throw new Error(
        `${kind}Prefix '${prefix}' is set but ${kind}Bucket is not; name both, e.g. ${example}`,
      );
    }
    return;
  }
  if (!BUCKET.test(bucket)) {
    throw new Error(
      `${kind}Bucket '${bucket}' is not an S3 bucket name (3-63 lowercase letters, digits, '.' and '-'; no s3:// and no prefix: the prefix is ${kind}Prefix), e.g. ${example}`,
    );
  }
  // An empty prefix is the whole bucket.
  if (prefix === '') return;
  if (prefix.startsWith('/') || !prefix.endsWith('/') || prefix.includes('//') || /[*?$]/.test(prefix)) {
    throw new Error(
      `${kind}Prefix '${prefix}' must be a key prefix without a leading '/', ending in '/', with no empty segment and no '*', '?' or '$' (for s3://${bucket}/landing/ pass 'landing/'), e.g. ${example}`,
    );
  }
}

/** The four parameters, each as given; throws if any is malformed. */
function checkUserBuckets(params) {
  const value = (name) => (params[name] === undefined || params[name] === null ? '' : String(params[name]));
  const checked = {
    inputBucket: value('inputBucket'),
    inputPrefix: value('inputPrefix'),
    outputBucket: value('outputBucket'),
    outputPrefix: value('outputPrefix'),
  };
  checkLocation('input', checked.inputBucket, checked.inputPrefix);
  checkLocation('output', checked.outputBucket, checked.outputPrefix);
  return checked;
}

/** Serverless calls this for `${file(./serverless.user-buckets.js):<name>}`. */
async function resolveUserBuckets({ resolveVariable }) {
  const names = ['inputBucket', 'inputPrefix', 'outputBucket', 'outputPrefix'];
  const values = await Promise.all(names.map((name) => resolveVariable(`param:${name}`)));
  return checkUserBuckets(Object.fromEntries(names.map((name, i) => [name, values[i]])));
}

module.exports = resolveUserBuckets;
module.exports.checkUserBuckets = checkUserBuckets;
