/**
 * The simulation's whole model of AWS: every constant named, with where it comes from. Numbers marked
 * ASSUMED have no published source we could cite; change them here and every figure follows.
 */

/** A latency distribution: log-normal from its median and 99th percentile (ms). */
export interface Latency {
  medianMs: number;
  p99Ms: number;
}

// ---- Lambda --------------------------------------------------------------------------------------

/**
 * Round trip of a synchronous Invoke to a warm environment, beyond the handler's own time.
 * ASSUMED from reports of warm Node.js functions answering in ~12 ms
 * (stripesys.com/blog/aws-lambda-cold-starts); p99 assumed 4x.
 */
export const LAMBDA_WARM_INVOKE: Latency = { medianMs: 12, p99Ms: 50 };

/**
 * Extra time of a cold start (new execution environment, bundled Node.js handler). A ~260 KB esbuild
 * bundle cold-starts in ~100 ms, a 1.5 MB one in ~1 s (gomomento.com, "How we turned up the heat on
 * Node.js Lambda cold starts"); "Hello World" Node.js functions init in 100-150 ms (decodednode.com,
 * 2026-01). Our task bundle carries the S3 and Kinesis clients: median 250 ms, p99 1 s ASSUMED.
 */
export const LAMBDA_COLD_START: Latency = { medianMs: 250, p99Ms: 1000 };

/** Default account concurrency per Region (docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html). */
export const LAMBDA_DEFAULT_CONCURRENCY = 1000;

/**
 * Scaling rate: 1,000 new execution environments every 10 s per function, refilled continuously, never
 * accumulated past 1,000 (docs.aws.amazon.com/lambda/latest/dg/scaling-behavior.html).
 */
export const LAMBDA_BURST_ENVIRONMENTS = 1000;
export const LAMBDA_BURST_REFILL_PER_S = 100;

/** Synchronous invoke payload limit, request and response (Lambda quotas). */
export const LAMBDA_PAYLOAD_LIMIT_BYTES = 6 * 1024 * 1024;

/** Payload transfer between the coordinator and a task. ASSUMED: 50 MB/s (no published figure). */
export const LAMBDA_PAYLOAD_BYTES_PER_MS = 50_000;

/** Task memory: 1,769 MB is one full vCPU (Lambda memory configuration docs). */
export const TASK_MEMORY_MB = 1769;
/** The coordinator runs all month at the same size. */
export const COORDINATOR_MEMORY_MB = 1769;

/** One Lambda vCPU (Graviton, arm64) against one core of the machine the costs were measured on. ASSUMED 1.0. */
export const LAMBDA_VCPU_SPEED_VS_HERE = 1.0;

// ---- S3 -------------------------------------------------------------------------------------------

/**
 * Small requests (< 512 KB) have a median latency "in the tens of milliseconds" (AWS whitepaper "Best
 * Practices Design Patterns: Optimizing Amazon S3 Performance", timeouts and retries); the same page
 * advises retrying after 2 s, so p99 is well under that. Split and p99 ASSUMED.
 */
export const S3_GET: Latency = { medianMs: 15, p99Ms: 80 };
export const S3_PUT: Latency = { medianMs: 25, p99Ms: 120 };

/**
 * Per partitioned prefix: at least 3,500 PUT/COPY/POST/DELETE and 5,500 GET/HEAD requests per second,
 * 503 SlowDown above (docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html). A fresh
 * bucket starts with few partitions, so the model treats each top-level folder of the job's store
 * (`batches/`, `manifests/`, `checkpoints/`, `sinks/` ...) as one prefix: a conservative reading.
 */
export const S3_PUT_PER_S_PER_PREFIX = 3500;
export const S3_GET_PER_S_PER_PREFIX = 5500;

/** The AWS SDK retries a 503 with exponential backoff and full jitter from a 100 ms base (SDK v3 standard retry). */
export const S3_RETRY_BASE_MS = 100;
export const S3_RETRY_MAX_MS = 20_000;

/** One LIST returns up to 1,000 keys (ListObjectsV2). DELETE is free; DeleteObjects takes 1,000 keys. */
export const S3_LIST_PAGE = 1000;

// ---- Kinesis Data Streams -------------------------------------------------------------------------

/** Per shard, shared by standard consumers: 5 GetRecords calls/s, 2 MB/s out, 10,000 records a call. */
export const KINESIS_GETRECORDS_PER_S = 5;
export const KINESIS_OUT_BYTES_PER_S = 2 * 1024 * 1024;
export const KINESIS_RECORDS_PER_CALL = 10_000;
/** Per shard in: 1 MB/s or 1,000 records/s, whichever is reached first. */
export const KINESIS_IN_RECORDS_PER_S = 1000;
export const KINESIS_IN_BYTES_PER_S = 1024 * 1024;
/** One GetRecords call. ASSUMED (the docs give only the < 1 s average propagation delay of 1 s polling). */
export const KINESIS_GETRECORDS: Latency = { medianMs: 20, p99Ms: 100 };

// ---- Prices (us-east-1 list prices, as quoted in issue #11 and STACK.md) ---------------------------

export const PRICE_S3_PUT_PER_1K = 0.005; // PUT, COPY, POST, LIST
export const PRICE_S3_GET_PER_1K = 0.0004; // GET, HEAD
export const PRICE_LAMBDA_PER_M_REQUESTS = 0.2;
export const PRICE_LAMBDA_PER_GB_S_ARM = 0.0000133334;
/** Provisioned Kinesis: $0.015 per shard-hour, $0.014 per million 25 KB PUT payload units. ASSUMED current. */
export const PRICE_KINESIS_SHARD_HOUR = 0.015;
export const PRICE_KINESIS_PER_M_PUT_UNITS = 0.014;
export const SECONDS_PER_MONTH = 730 * 3600;

// ---- The workload: the demo job (word count, running totals, store sink) over 100-byte records ----

export const RECORD_BYTES = 100;
export const VOCABULARY = 10_000;
/** Words in a 100-byte record of the generated text. */
export const WORDS_PER_RECORD = 12;
/** One [word, count] row in a shuffle segment (msgpack). */
export const SHUFFLE_BYTES_PER_ROW = 12;

/**
 * Task CPU per unit of work, measured on this machine by `npm run sim -- --calibrate` (the real task code
 * of the job over 20,000-record partitions: CPU time per input record on the map side, per shuffled or
 * state row on the reduce side, and per task of a 1-record partition). Four runs on a 2-core VM shared
 * with five other jobs (2026-12-01, Node 20) gave 4,759-6,589 ns, 321-637 ns and 0.22-0.68 ms; the model
 * takes the least of each, the run least disturbed by the neighbours.
 */
export const MAP_CPU_NS_PER_RECORD = 4759;
export const REDUCE_CPU_NS_PER_ROW = 321;
/** Handler work independent of data: parse the spec, find the lineage node, encode the result. */
export const TASK_FIXED_CPU_MS = 0.22;

/** Expected distinct keys among `draws` uniform draws from the vocabulary. */
export function distinctKeys(draws: number): number {
  return VOCABULARY * (1 - Math.exp(-draws / VOCABULARY));
}
