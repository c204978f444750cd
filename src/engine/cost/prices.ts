/**
 * AWS list prices, us-east-1, in USD: the one price table of `npm run cost`. docs/COST.md gives the
 * source of every number; change them there and here together.
 */
export const PRICES = {
  s3: {
    /** PUT, COPY, POST, LIST: $0.005 per 1,000 requests (S3 Standard). */
    putOrListPerRequest: 0.005 / 1000,
    /** GET, SELECT and all other requests (HEAD among them): $0.0004 per 1,000. */
    getPerRequest: 0.0004 / 1000,
    /** DELETE (DeleteObjects included) and CANCEL requests are free. */
    deletePerRequest: 0,
  },
  lambda: {
    /** $0.20 per million requests, both architectures. */
    perRequest: 0.2 / 1_000_000,
    /** Duration on arm64, per GB-second (first 6 billion GB-s a month). */
    perGbSecondArm: 0.0000133334,
  },
  kinesis: {
    /** Provisioned mode: per shard-hour. GetRecords, GetShardIterator and ListShards are free. */
    perShardHour: 0.015,
    /** Provisioned mode: per PUT payload unit (each 25 KB chunk of a record). */
    perPutPayloadUnit: 0.014 / 1_000_000,
  },
  flink: {
    /** Managed Service for Apache Flink: per KPU-hour (1 vCPU, 4 GB). */
    perKpuHour: 0.11,
    /** Running application storage, per GB-month; 50 GB are allocated per KPU. */
    perRunningStorageGbMonth: 0.1,
    runningStorageGbPerKpu: 50,
  },
} as const;

/** AWS prices a month as 730 hours. */
export const HOURS_PER_MONTH = 730;
export const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;
