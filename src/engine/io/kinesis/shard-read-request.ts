import type { Start } from './calls';

/** What one batch asks of a shard's read. */
export interface ShardReadRequest {
  shard: string;
  closed: boolean;
  /** ListShards' StartingSequenceNumber: a committed position before it is gone. */
  startingSequence?: string;
  /** The committed position ('' when this shard has none yet). */
  basis: string;
  /** The committed range's caughtUpAt: no record after `basis` had arrived by then. */
  caughtUpAt?: number;
  /** Where a shard without a committed position starts. */
  fresh: Start;
  /** Stop polling (empty pages) once the next call could not start before this time. */
  deadline: number;
}
