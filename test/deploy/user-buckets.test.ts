/**
 * The user's bucket parameters are checked before they become IAM grants (serverless.user-buckets.js,
 * which serverless.iam.yml resolves them through): a malformed one must stop packaging, naming it.
 */
const { checkUserBuckets } = require('../../serverless.user-buckets.js') as {
  checkUserBuckets: (params: Record<string, string | undefined>) => Record<string, string>;
};

describe('the user bucket parameters', () => {
  it('accepts none, a bucket with a prefix, or a whole bucket', () => {
    expect(checkUserBuckets({})).toEqual({
      inputBucket: '',
      inputPrefix: '',
      outputBucket: '',
      outputPrefix: '',
    });
    const given = {
      inputBucket: 'acme-landing',
      inputPrefix: 'landing/',
      outputBucket: 'acme.lake',
      outputPrefix: '',
    };
    expect(checkUserBuckets(given)).toEqual(given);
    expect(checkUserBuckets({ outputBucket: 'acme-lake', outputPrefix: 'a/b/c/' }).outputPrefix).toBe(
      'a/b/c/',
    );
  });

  it.each([
    [{ inputPrefix: 'landing/' }, /inputPrefix 'landing\/' is set but inputBucket is not/],
    [{ outputBucket: 's3://acme-lake' }, /outputBucket 's3:\/\/acme-lake' is not an S3 bucket name/],
    [{ inputBucket: 'acme-landing/landing' }, /inputBucket 'acme-landing\/landing' is not an S3 bucket name/],
    [{ inputBucket: 'Acme' }, /inputBucket 'Acme' is not an S3 bucket name/],
    [{ inputBucket: 'acme', inputPrefix: 'landing' }, /inputPrefix 'landing' must be .*ending in '\/'/],
    [
      { inputBucket: 'acme', inputPrefix: '/landing/' },
      /inputPrefix '\/landing\/' must be .*without a leading '\/'/,
    ],
    [{ outputBucket: 'acme', outputPrefix: 'a//b/' }, /outputPrefix 'a\/\/b\/' must be/],
    // IAM wildcards in a prefix would widen the grant beyond the prefix.
    [{ outputBucket: 'acme', outputPrefix: '*/' }, /outputPrefix '\*\/' must be .*no '\*'/],
    [{ inputBucket: 'acme', inputPrefix: 'in?/' }, /inputPrefix 'in\?\/' must be/],
  ])('refuses %j, naming the parameter and its form', (params, message) => {
    expect(() => checkUserBuckets(params)).toThrow(message);
  });
});
