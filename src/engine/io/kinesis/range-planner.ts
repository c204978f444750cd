import type { Shard } from '@aws-sdk/client-kinesis';
import type { SourceRange } from '../ports';
import type { KinesisCalls } from './calls';
import type { ResolvedStart } from './options';
import { compareIds, parentsOf, shardFamily } from './shards';

/**
 * The coordinator's half of task-read Kinesis input: plans each batch's per-shard ranges without reading
 * a record. A shard's part of a batch is fixed by a rule any task attempt applies the same way: the
 * records after `last` (the committed position, or the shard's fresh start), in sequence order, up to
 * the first that arrived at or after the plan's cutoff, within the per-shard caps. The cutoff is this
 * clock's time at planning less the settle margin, recorded in the plan, so a retry, a speculative copy
 * or a re-run after a coordinator crash reads exactly the same records.
 *
 * Resharding: a closed shard is planned until a task reports it read to its end (`ended`); its children
 * are planned from the next batch on, and an ended range is carried (empty, final) until one of its
 * children has a committed range, which proves it exhausted from then on.
 *
 * Partitions: the planned shards in id order, round robin over the input's partitions. The rule only
 * needs to hold within a batch, since each range records its partition.
 */
export class RangePlanner {
  private listing?: { at: number; shards: Shard[] };

  constructor(
    private readonly calls: KinesisCalls,
    private readonly start: ResolvedStart,
    private readonly settleMs: number,
    private readonly refreshMs: number,
  ) {}

  async plan(partitions: number, after: readonly SourceRange[] | undefined): Promise<SourceRange[]> {
    const cutoff = this.calls.clock.now() - this.settleMs;
    const shards = await this.shards(after ?? []);
    const known = new Set(shards.map((s) => s.ShardId!));
    const { committed, startedDescendant } = shardFamily(shards, after);
    const firstBatch = after === undefined;
    const latest = this.start.kind === 'type' && this.start.type === 'LATEST';
    const exhausted = new Set<string>();
    const ranges: Omit<SourceRange, 'partition'>[] = [];
    for (const shard of shards) {
      const id = shard.ShardId!;
      const closed = shard.SequenceNumberRange?.EndingSequenceNumber !== undefined;
      const previous = committed.get(id);
      // Children are only planned once a parent ended, so a started descendant proves it.
      if ((closed || previous?.ended) && startedDescendant(id)) {
        exhausted.add(id);
        continue;
      }
      if (previous?.ended) {
        exhausted.add(id);
        ranges.push(carried(previous));
        continue;
      }
      if (!previous) {
        // What was closed before a LATEST job started is history it never wanted.
        if (firstBatch && closed && latest) {
          exhausted.add(id);
          continue;
        }
        // A parent still being read (or sorting after its child, so not yet judged) holds the child back.
        if (parentsOf(shard).some((p) => known.has(p) && !exhausted.has(p))) continue;
      }
      const startAt = previous
        ? previous.last
          ? undefined
          : previous.startAt
        : this.freshStart(shard, known, firstBatch, cutoff);
      ranges.push({
        shard: id,
        first: '',
        last: previous?.last ?? '',
        count: 0,
        ...(previous?.caughtUpAt === undefined ? {} : { caughtUpAt: previous.caughtUpAt }),
        ...(startAt === undefined ? {} : { startAt }),
        plan: { cutoff, ...(closed ? { closed: true } : {}) },
      });
    }
    return ranges.map((range, i) => ({ ...range, partition: i % partitions }));
  }

  /** The stream's shards in id order: listed again on a schedule, and when a shard ended whose children are not known. */
  private async shards(after: readonly SourceRange[]): Promise<Shard[]> {
    const now = this.calls.clock.now();
    const parents = new Set(this.listing?.shards.flatMap(parentsOf));
    const stale =
      !this.listing ||
      now - this.listing.at >= this.refreshMs ||
      after.some((r) => r.ended && !parents.has(r.shard));
    if (stale) {
      const shards = (await this.calls.listShards()).sort((a, b) => compareIds(a.ShardId!, b.ShardId!));
      this.listing = { at: now, shards };
    }
    return this.listing!.shards;
  }

  /** The arrival time a shard without a committed position starts at; undefined: its oldest record. */
  private freshStart(
    shard: Shard,
    known: Set<string>,
    firstBatch: boolean,
    cutoff: number,
  ): number | undefined {
    if (this.start.kind === 'timestamp') {
      const root = parentsOf(shard).every((p) => !known.has(p));
      // A child found after the first batch comes from a reshard we followed: read it from its start.
      return firstBatch || root ? this.start.timestamp.getTime() : undefined;
    }
    if (this.start.type === 'TRIM_HORIZON') return undefined;
    const root = parentsOf(shard).every((p) => !known.has(p));
    // LATEST: what arrives from this batch's cutoff on.
    return firstBatch || root ? cutoff : undefined;
  }
}

/** An ended shard's range, kept (empty, final) so that its children can tell it was read to its end. */
function carried(previous: SourceRange): Omit<SourceRange, 'partition'> {
  return {
    shard: previous.shard,
    first: '',
    last: previous.last,
    count: 0,
    ended: true,
    ...(previous.caughtUpAt === undefined ? {} : { caughtUpAt: previous.caughtUpAt }),
  };
}
