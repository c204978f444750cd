/**
 * The Kinesis streams the jobs read (stage parameter `streams`: comma-separated stream names or ARNs of
 * existing streams), turned into the stream-read grant of serverless.iam.yml. Unset, the stack creates
 * one stream (`stream`) and the grant is on that stream only. A name is a stream of the stack's own
 * account and region. Jobs address streams by name (the functions' own account and region), so an ARN
 * grants exactly what is given and is checked for form only. `streamArn` is the older spelling.
 */

/** Kinesis stream names: 1-128 letters, digits, '_', '.' and '-' (so no IAM wildcard gets in). */
const STREAM_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
const STREAM_ARN = /^arn:aws[a-z-]*:kinesis:[a-z0-9-]+:\d{12}:stream\/([A-Za-z0-9_.-]{1,128})$/;

const EXAMPLE = '--param streams=orders,arn:aws:kinesis:us-east-1:123456789012:stream/clicks';

const text = (value) => (value === undefined || value === null ? '' : String(value).trim());

/** The streams named by `streams` (or `streamArn`), each as given; throws a message naming the problem. */
function checkStreams(params) {
  const streams = text(params.streams);
  const streamArn = text(params.streamArn);
  if (streams !== '' && streamArn !== '') {
    throw new Error(
      `both streams and streamArn are set; streamArn is the older spelling of streams: list every stream in streams, e.g. ${EXAMPLE}`,
    );
  }
  const list = streams !== '' ? streams : streamArn;
  if (list === '') return [];
  const entries = list.split(',').map((entry) => entry.trim());
  for (const entry of entries) {
    if (entry === '') {
      throw new Error(
        `streams '${list}' has an empty entry; separate names or ARNs by single commas, e.g. ${EXAMPLE}`,
      );
    }
    const isArn = entry.startsWith('arn:');
    if (isArn ? !STREAM_ARN.test(entry) : !STREAM_NAME.test(entry)) {
      throw new Error(
        `'${entry}' in streams is not a Kinesis stream ${isArn ? 'ARN (arn:aws:kinesis:<region>:<account>:stream/<name>)' : "name (1-128 letters, digits, '_', '.' or '-')"}, e.g. ${EXAMPLE}`,
      );
    }
  }
  if (new Set(entries).size !== entries.length) {
    throw new Error(`streams '${list}' names a stream twice; list each stream once`);
  }
  return entries;
}

/** A stream's ARN: an ARN as given, a name in the stack's own partition, region and account. */
const arnOf = (entry) =>
  entry.startsWith('arn:')
    ? entry
    : {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':kinesis:',
            { Ref: 'AWS::Region' },
            ':',
            { Ref: 'AWS::AccountId' },
            `:stream/${entry}`,
          ],
        ],
      };

/** What serverless.yml and serverless.iam.yml use, for checked entries. */
function streamsOf(entries) {
  return {
    // Empty when the stack creates its stream (the condition CreateEventStream tests this).
    existing: entries.join(','),
    readable: entries.length === 0 ? [{ 'Fn::GetAtt': ['EventStream', 'Arn'] }] : entries.map(arnOf),
  };
}

/** Serverless calls this for `${file(./serverless.streams.js):<name>}`. */
async function resolveStreams({ resolveVariable }) {
  const [streams, streamArn] = await Promise.all([
    resolveVariable('param:streams'),
    resolveVariable('param:streamArn'),
  ]);
  return streamsOf(checkStreams({ streams, streamArn }));
}

module.exports = resolveStreams;
module.exports.checkStreams = checkStreams;
module.exports.streamsOf = streamsOf;
