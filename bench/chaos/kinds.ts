/** The fault kinds a chaos run injects, counted per seed; every kind must occur in every seed. */
export const COMMON_KINDS = [
  'taskFailures',
  'stragglers',
  'lostObjects',
  'crashes',
  'midSinkKills',
  'staleCoordinators',
  's3SlowDown',
  'lambdaThrottles',
  'lateTasks',
  'expiredTransient',
  'poisonRecords',
] as const;

/** Only the AWS path reads Kinesis and has endpoints to restart. */
export const AWS_KINDS = [...COMMON_KINDS, 'kinesisThrottles', 'emptyPages', 'endpointRestarts'] as const;

export type Kind = (typeof AWS_KINDS)[number];
export type Kinds = Record<Kind, number>;

export function noFaults(): Kinds {
  return Object.fromEntries(AWS_KINDS.map((k) => [k, 0])) as Kinds;
}

/** The kinds this path injects, in summary order. */
export function kindsOf(counts: Kinds, path: 'embedded' | 'aws'): Partial<Kinds> {
  const names: readonly Kind[] = path === 'aws' ? AWS_KINDS : COMMON_KINDS;
  return Object.fromEntries(names.map((k) => [k, counts[k]]));
}

export interface SeedReport {
  seed: number;
  batches: number;
  faults: Partial<Kinds>;
  /** Coordinators that stopped on a failed batch (after its in-place retries) and were replaced. */
  failedCoordinators: number;
  /**
   * Poison records put in, the distinct records the engine dead-lettered (must be equal), and the
   * entries its dead-letter objects list (more when one record is listed by two tasks).
   */
  deadLetters: { injected: number; distinct: number; listed: number };
  mismatches: number;
  lost: number;
  duplicated: number;
  /** Batches (1-based) whose output differed, to replay a failing seed. */
  badBatches?: number[];
  seconds: number;
}

/** Kinds that did not occur in a seed (the run fails if any). */
/**
 * On the local AWS path nothing transient is in S3 to lose (data travels in task payloads and map tasks
 * read Kinesis): the loss that remains there is a lost coordinator, which `crashes` covers.
 */
const NOTHING_TO_LOSE_ON_AWS = ['lostObjects', 'expiredTransient'];

/** Fault kinds that did not occur in the seed (and could have on its path). */
export function missingKinds(report: SeedReport, path: 'embedded' | 'aws' = 'embedded'): string[] {
  return Object.entries(report.faults)
    .filter(([k, n]) => !n && !(path === 'aws' && NOTHING_TO_LOSE_ON_AWS.includes(k)))
    .map(([k]) => k);
}
