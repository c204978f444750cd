/**
 * A batch's (or a task's) AWS requests by billing kind: a plain object of whole numbers, so it adds up,
 * travels in task results and sits in manifests as JSON. What each store operation costs in S3 requests is
 * decided by MeteredStore, after what S3Store sends for it.
 */
export interface RequestCounts {
  /** PutObject, conditional or not (billed with COPY/POST/LIST). */
  s3Put: number;
  /** GetObject, whole or ranged. */
  s3Get: number;
  /** HeadObject (billed as a GET). */
  s3Head: number;
  /** ListObjectsV2 pages (up to 1,000 keys each). */
  s3List: number;
  /** DeleteObjects requests (up to 1,000 keys each); S3 does not charge for them. */
  s3Delete: number;
  /** Task function invocations. */
  lambdaInvokes: number;
  /** Their billed durations (each rounded up to 1 ms), summed. */
  lambdaBilledMs: number;
  /** Billed duration times configured memory, in MB·ms: GB-s = lambdaMbMs / 1,024,000. Whole numbers add exactly. */
  lambdaMbMs: number;
  kinesisGetRecords: number;
  kinesisGetShardIterator: number;
  kinesisListShards: number;
  /** Any other Kinesis call (DescribeStreamSummary ...). */
  kinesisOther: number;
}

export type RequestKind = keyof RequestCounts;

export const REQUEST_KINDS: readonly RequestKind[] = [
  's3Put',
  's3Get',
  's3Head',
  's3List',
  's3Delete',
  'lambdaInvokes',
  'lambdaBilledMs',
  'lambdaMbMs',
  'kinesisGetRecords',
  'kinesisGetShardIterator',
  'kinesisListShards',
  'kinesisOther',
];

export function noRequests(): RequestCounts {
  return Object.fromEntries(REQUEST_KINDS.map((kind) => [kind, 0])) as unknown as RequestCounts;
}

/** `a + b`, kind by kind; missing kinds count as zero (counts written by an older version). */
export function addRequests(a: Partial<RequestCounts>, b: Partial<RequestCounts>): RequestCounts {
  const sum = noRequests();
  for (const kind of REQUEST_KINDS) sum[kind] = (a[kind] ?? 0) + (b[kind] ?? 0);
  return sum;
}

/** `a - b`, kind by kind. */
export function subtractRequests(a: Partial<RequestCounts>, b: Partial<RequestCounts>): RequestCounts {
  const difference = noRequests();
  for (const kind of REQUEST_KINDS) difference[kind] = (a[kind] ?? 0) - (b[kind] ?? 0);
  return difference;
}

/** Billed GB-seconds of Lambda duration. */
export function lambdaGbSeconds(counts: Partial<RequestCounts>): number {
  return (counts.lambdaMbMs ?? 0) / 1_024_000;
}

/** Every S3 request, billed or not. */
export function s3Requests(counts: Partial<RequestCounts>): number {
  return (
    (counts.s3Put ?? 0) +
    (counts.s3Get ?? 0) +
    (counts.s3Head ?? 0) +
    (counts.s3List ?? 0) +
    (counts.s3Delete ?? 0)
  );
}

/** Every AWS request: S3, task invocations and Kinesis calls (durations are not requests). */
export function awsRequests(counts: Partial<RequestCounts>): number {
  return (
    s3Requests(counts) +
    (counts.lambdaInvokes ?? 0) +
    (counts.kinesisGetRecords ?? 0) +
    (counts.kinesisGetShardIterator ?? 0) +
    (counts.kinesisListShards ?? 0) +
    (counts.kinesisOther ?? 0)
  );
}

/** Whether a value read from a task result or a manifest is a RequestCounts (all kinds, all numbers). */
export function isRequestCounts(value: unknown): value is RequestCounts {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return REQUEST_KINDS.every((kind) => typeof record[kind] === 'number' && Number.isFinite(record[kind]));
}
