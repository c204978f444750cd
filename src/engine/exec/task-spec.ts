import { z } from 'zod';
import type { SourceRead } from '../plan';
import { InvalidTaskSpecError } from './errors';

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
    /** Known map-output offsets by shuffle id, so reducers skip reading file headers. */
    shuffleOffsets: z.record(z.string(), z.array(z.array(z.number().int().nonnegative()))).optional(),
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
  /** Segment offsets of the written shuffle file (shuffleMap only). */
  offsets?: number[];
  /** Offsets of the files written for `alsoShuffles`, in the same order. */
  alsoOffsets?: number[][];
  /**
   * Input records left out because user code failed on them (onRecordError 'dead-letter'); they are in
   * the task's dead-letter object, `deadletters/<time>/poison/<node>/<partition>.json`.
   */
  deadLettered?: number;
  /** What the task read of input partitions by planned source ranges; the coordinator commits it. */
  sourceReads?: SourceReadReport[];
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
