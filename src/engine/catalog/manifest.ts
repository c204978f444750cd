import type { RequestCounts } from '../io/metering';
import type { SourceRange, Store } from '../io/ports';
import { manifestKey } from './layout';

export type BatchStatus = 'running' | 'committed' | 'failed';

export interface InputManifest {
  stream: number;
  name: string;
  records: number;
  ranges: SourceRange[];
  /** Blocks the coordinator wrote, one per partition; empty when tasks read the source directly. */
  blocks: { key: string; records: number }[];
  /** True when tasks read their partitions from the source by range (no blocks). */
  direct: boolean;
  /** Records the source could not decode, stored under `deadletters/<time>/` (one object per shard). */
  deadLetters?: number;
}

export interface StageManifest {
  id: string;
  kind: 'shuffleMap' | 'result' | 'sink' | 'materialize';
  operator: string;
  node: string;
  /** Sibling shuffle-map stages over the same parent whose files the same tasks wrote. */
  alsoWrites?: string[];
  partitions: number;
  /** Where it ran: task invocations, or the coordinator itself (driver code in foreachBatch). */
  location: 'tasks' | 'coordinator';
  attempts: number;
  rows: number;
  bytes: number;
  durationMs: number;
  /** Backup copies launched for slow tasks, and how many of them finished first. */
  speculated?: number;
  speculativeWins?: number;
  /** True for a stage of an earlier batch re-run because its output was lost. */
  recovery?: boolean;
  /**
   * Input records its tasks left out because user code failed on them (onRecordError 'dead-letter'),
   * written to `deadletters/<time>/poison/<node>/<partition>.json`.
   */
  deadLettered?: number;
}

export interface CheckpointManifest {
  stream: number;
  operator: string;
  partitions: number;
}

/** The lineage record of one batch: enough to recompute anything lost, and to show what happened. */
export interface BatchManifest {
  version: 1;
  job: string;
  batchTime: number;
  zeroTime: number;
  batchMs: number;
  status: BatchStatus;
  /** The coordinator that wrote this version of the manifest (its lease owner and epoch). */
  writtenBy?: { owner: string; epoch: number };
  inputs: InputManifest[];
  outputs: { index: number; operator: string; node: string; partitions: number }[];
  rdds: { id: string; operator: string; partitions: number }[];
  stages: StageManifest[];
  /** Streams checkpointed at this batch (their partitions are under `checkpoints/<time>/`). */
  checkpoints?: CheckpointManifest[];
  /**
   * Distinct input records of this batch left out because user code failed on them (stages' own counts
   * may count one record in each stage that read it). Absent in manifests written before it existed.
   */
  poisonedRecords?: number;
  /** Earlier batches' data found lost and recomputed from lineage for this batch. */
  recovery?: { lost: string[]; recoveryStages: number; recoveryMs: number };
  timing: {
    scheduledAt: number;
    startedAt: number;
    finishedAt?: number;
    schedulingDelayMs: number;
    processingMs?: number;
  };
  error?: { message: string; operator?: string };
  /**
   * The AWS requests made since the previous batch's commit, up to and including this manifest's own
   * write: this batch's claim, inputs, tasks, checkpoints and commit, the lease renewals meanwhile, and
   * the previous batch's clean-up (see io/metering).
   */
  requests?: RequestCounts;
}

/** A batch's manifest, for monitors and tests; coordinators go through JobCatalog (versioned writes). */
export async function readManifest(store: Store, batchTime: number): Promise<BatchManifest | undefined> {
  const bytes = await store.get(manifestKey(batchTime));
  return bytes ? (JSON.parse(new TextDecoder().decode(bytes)) as BatchManifest) : undefined;
}
