import { z } from 'zod';
import type { RequestCounts } from '../io/metering';
import type { InputRange, SourceRead } from '../plan';
import { InvalidTaskSpecError } from './errors';

const bytes = z.custom<Uint8Array>((value) => value instanceof Uint8Array, 'expected bytes');
const inputRange = z.custom<InputRange>(
  (value) =>
    typeof value === 'object' &&
    value !== null &&
    ['shard', 'first', 'last'].every(
      (field) => typeof (value as Record<string, unknown>)[field] === 'string',
    ) &&
    typeof (value as Record<string, unknown>).count === 'number',
  'expected a source range { shard, first, last, count }',
);

/** Data a task gets in its request instead of reading it from the store. */
export const TaskInputsSchema = z
  .object({
    /**
     * Persisted partitions (state, window slices, checkpoints) by store key; null: read it from the
     * store. A persisted partition of an earlier batch that is not named here is looked up in the store.
     */
    stored: z.record(z.string(), bytes.nullable()).optional(),
    /** This task's segment of each map output, by shuffle id then map partition; null: in the store. */
    segments: z.record(z.string(), z.array(bytes.nullable())).optional(),
    /** Segment offsets of map outputs in the store, by shuffle id then map partition (skips headers). */
    offsets: z.record(z.string(), z.array(z.array(z.number().int().nonnegative()))).optional(),
    /** Source ranges the batch manifest recorded, by `<stream>@<time>` (for direct reads and replays). */
    ranges: z.record(z.string(), z.array(inputRange)).optional(),
  })
  .strict();

export type TaskInputs = z.infer<typeof TaskInputsSchema>;

/**
 * A task description: names the job, batch, lineage node and partition, never code. Small enough for a
 * Lambda payload; the task process rebuilds the lineage from the job's code.
 */
export const TaskSpecSchema = z
  .object({
    v: z.literal(1),
    job: z.string().min(1),
    /** The job's zero time; batch times count from it. */
    zeroTime: z.number().int().nonnegative(),
    batchTime: z.number().int().positive(),
    kind: z.enum(['shuffleMap', 'result', 'sink', 'materialize']),
    /**
     * Lineage node id: the shuffled node for `shuffleMap`, the output's node for `result`/`sink`, a
     * persisted or checkpointed node for `materialize` (compute and save it, return nothing).
     */
    node: z.string().min(1),
    /** Which of the node's shuffle dependencies to write (shuffleMap only). */
    shuffle: z.number().int().nonnegative().optional(),
    /**
     * More shuffles over the same parent node, written by the same task from one computation of the
     * parent partition (shuffleMap only).
     */
    alsoShuffles: z
      .array(z.object({ node: z.string().min(1), shuffle: z.number().int().nonnegative() }).strict())
      .optional(),
    /** Only the first rows of the partition are wanted (result only, for take()). */
    limit: z.number().int().nonnegative().optional(),
    /** Output operation index (sink only). */
    output: z.number().int().nonnegative().optional(),
    partition: z.number().int().nonnegative(),
    attempt: z.number().int().nonnegative(),
    /** What the coordinator ships with the task so that it reads nothing the coordinator holds. */
    inputs: TaskInputsSchema.optional(),
    /**
     * Bytes of output the task may send back in its result (map outputs, result rows, persisted
     * partitions); what does not fit is written to the store. Absent or 0: everything goes to the store.
     */
    inlineBytes: z.number().int().nonnegative().optional(),
  })
  .strict()
  .superRefine((spec, ctx) => {
    if (spec.kind === 'shuffleMap' && spec.shuffle === undefined) {
      ctx.addIssue({ code: 'custom', path: ['shuffle'], message: 'required when kind is shuffleMap' });
    }
    if (spec.alsoShuffles !== undefined && spec.kind !== 'shuffleMap') {
      ctx.addIssue({
        code: 'custom',
        path: ['alsoShuffles'],
        message: 'only allowed when kind is shuffleMap',
      });
    }
    if (spec.limit !== undefined && spec.kind !== 'result') {
      ctx.addIssue({ code: 'custom', path: ['limit'], message: 'only allowed when kind is result' });
    }
    if (spec.kind === 'sink' && spec.output === undefined) {
      ctx.addIssue({ code: 'custom', path: ['output'], message: 'required when kind is sink' });
    }
  });

export type TaskSpec = z.infer<typeof TaskSpecSchema>;

export interface TaskResult {
  kind: TaskSpec['kind'];
  node: string;
  partition: number;
  attempt: number;
  /** Rows the task produced (before bucketing, for shuffle maps). */
  rows: number;
  bytes: number;
  durationMs: number;
  /** The map outputs written, in shuffle order (`shuffle`, then `alsoShuffles`); shuffleMap only. */
  mapOutputs?: MapOutput[];
  /** The encoded rows (result only), unless they were written to the store at `resultPartKey`. */
  rowsBytes?: Uint8Array;
  /** Persisted partitions the task computed (state, window slices, checkpoints). */
  persisted?: PersistedPart[];
  /**
   * Input records left out because user code failed on them (onRecordError 'dead-letter'); they are in
   * the task's dead-letter object, `deadletters/<time>/poison/<node>/<partition>.json`.
   */
  deadLettered?: number;
  /** Which input records those are (`<stream>|<time>|<partition>|<index>`), so a batch counts each once. */
  deadLetteredInputs?: string[];
  /** What the task read of input partitions by planned source ranges; the coordinator commits it. */
  sourceReads?: SourceReadReport[];
  /** The AWS requests the task made (store, Kinesis), counted in its own scope; the batch adds them. */
  requests?: RequestCounts;
}

/** One shuffle's map output: segment offsets, and the file itself unless it was written to the store. */
export interface MapOutput {
  offsets: number[];
  bytes?: Uint8Array;
}

/** A persisted partition a task computed, sent back and/or saved at `key` (`storedPartKey`). */
export interface PersistedPart {
  key: string;
  /** The node's batch time, for forgetting it. */
  time: number;
  bytes?: Uint8Array;
  /** Whether it is in the store (a checkpoint is always saved; a part too big to send back is too). */
  stored: boolean;
}

/** A SourceRead as it travels back: the dead letters themselves are already stored, only counted. */
export type SourceReadReport = Omit<SourceRead, 'deadLetters' | 'name'> & { deadLetters: number };

export function parseTaskSpec(input: unknown): TaskSpec {
  const parsed = TaskSpecSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const fields = parsed.error.issues.map(fieldOf);
  const problems = parsed.error.issues.map(
    (issue, i) => `field '${fields[i] || '(root)'}': ${issue.message}`,
  );
  throw new InvalidTaskSpecError(`invalid task description: ${problems.join('; ')}`, {
    field: fields[0] ?? '',
    problems,
  });
}

/** The field an issue is about; unknown keys are reported at the parent's path with their names apart. */
function fieldOf(issue: z.core.$ZodIssue): string {
  const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
  return [...issue.path, ...keys.slice(0, 1)].join('.');
}
