import type { RecordErrorPolicy } from '../graph/record-errors';
import type { Store } from '../io/ports';
import type { LineageNode, TaskContext } from '../plan';
import type { SourceReadReport } from './task-spec';

/** Where a task's persisted partitions go once the run that computed them succeeded. */
export interface PartSaver {
  saveEncoded(node: LineageNode<unknown>, partition: number, bytes: Uint8Array): void;
}

/** A task to run with poison-record isolation (see record-isolation.ts). */
export interface IsolatedTask<R> {
  store: Store;
  /** The task's context; the runs here wrap it (their own `once`, their writes held back). */
  context: TaskContext & PartSaver;
  policy: RecordErrorPolicy;
  /** Names the dead-letter object: the stage node's batch, id, and the task's partition. */
  batchTime: number;
  node: string;
  partition: number;
  /** The task's real work, outputs included. */
  run(ctx: TaskContext): Promise<R>;
  /** What the task read by planned source ranges so far: places its records while the batch runs. */
  sourceReads?(): readonly SourceReadReport[];
  /** The same computation without writing anything (used on subsets of the input records). */
  probe(ctx: TaskContext): Promise<void>;
}
