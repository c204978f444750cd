import {
  CheckpointNode,
  EmptyNode,
  type LineageNode,
  runsUserCombiner,
  type ShuffleDependency,
  SourceNode,
  UnionNode,
} from '../plan';

/**
 * A stage pipelines narrow operators up to a shuffle boundary. A shuffle-map stage computes the parent
 * side of one shuffle dependency and writes its files; a final stage computes the job's node.
 */
export interface Stage {
  id: string;
  kind: 'shuffleMap' | 'final';
  /** For shuffle-map stages, the node that owns the dependency; for final stages, the computed node. */
  node: LineageNode<unknown>;
  dep?: ShuffleDependency;
  depIndex?: number;
  partitions: number;
  /** Only these partitions need to run (a shuffle of an earlier batch that lost some map outputs). */
  only?: number[];
  parents: Stage[];
  /** Every shuffle its tasks may read (those that ran and those whose files were all there). */
  reads: ShuffleDependency[];
  /**
   * Settles once `parents` and `reads` are complete. A shuffle stage is shared as soon as it is made (so
   * a diamond in the lineage gets one stage), while its own walk may still be under way for another
   * output planned at the same time.
   */
  built?: Promise<void>;
  /** Made by job code (runs as tasks) or by driver code in foreachBatch (runs in the coordinator). */
  registered: boolean;
}

/** What is already in the store, so planning does not recompute it (Spark's "missing parent stages"). */
export interface Availability {
  /** Every partition of a persisted or checkpointed node is stored. */
  isMaterialized(node: LineageNode<unknown>): Promise<boolean>;
  /** Map partitions of the shuffle whose output is not stored (all of them for this batch's shuffles). */
  missingMapOutputs(dep: ShuffleDependency): Promise<number[]>;
}

/** Builds the stage graph of `node`, sharing shuffle-map stages through `shuffleStages`. */
export async function buildFinalStage(
  node: LineageNode<unknown>,
  shuffleStages: Map<string, Stage>,
  availability: Availability,
): Promise<Stage> {
  const { parents, reads } = await missingParentStages(node, shuffleStages, availability);
  return {
    id: `final:${node.id}`,
    kind: 'final',
    node,
    partitions: node.numPartitions,
    parents,
    reads,
    registered: node.registered,
  };
}

/**
 * The shuffle-map stages `root` still needs. The walk stops at persisted nodes that are fully stored
 * (state, window slices, checkpoints) and at shuffles whose files exist: lineage is only followed as far
 * back as data is actually missing.
 */
async function missingParentStages(
  root: LineageNode<unknown>,
  shuffleStages: Map<string, Stage>,
  availability: Availability,
): Promise<{ parents: Stage[]; reads: ShuffleDependency[] }> {
  const parents: Stage[] = [];
  const reads: ShuffleDependency[] = [];
  const seen = new Set<string>();
  const visit = async (node: LineageNode<unknown>): Promise<void> => {
    if (seen.has(node.id)) return;
    seen.add(node.id);
    const persisted = node.persisted || node.checkpointOf !== undefined;
    if (persisted && (await availability.isMaterialized(node))) return;
    for (const [index, dep] of node.dependencies.entries()) {
      if (dep.kind === 'narrow') await visit(dep.parent);
      else {
        reads.push(dep);
        const missing = await availability.missingMapOutputs(dep);
        if (missing.length > 0)
          parents.push(await shuffleStage(node, dep, index, missing, shuffleStages, availability));
      }
    }
  };
  await visit(root);
  return { parents, reads };
}

async function shuffleStage(
  owner: LineageNode<unknown>,
  dep: ShuffleDependency,
  depIndex: number,
  missing: number[],
  shuffleStages: Map<string, Stage>,
  availability: Availability,
): Promise<Stage> {
  const existing = shuffleStages.get(dep.id);
  if (existing) return existing;
  const stage: Stage = {
    id: `shuffle:${dep.id}`,
    kind: 'shuffleMap',
    node: owner,
    dep,
    depIndex,
    partitions: dep.parent.numPartitions,
    ...(missing.length < dep.parent.numPartitions ? { only: missing } : {}),
    parents: [],
    reads: [],
    registered: owner.registered,
  };
  // Registered before the walk below, so a diamond in the lineage shares one stage.
  shuffleStages.set(dep.id, stage);
  // Lineage above the shuffle is walked for all partitions: a conservative superset of what `only` needs.
  const walk = missingParentStages(dep.parent, shuffleStages, availability).then((above) => {
    stage.parents = above.parents;
    stage.reads = above.reads;
  });
  stage.built = walk;
  await walk;
  return stage;
}

/**
 * Shuffle-map stages under `root` that read the same parent node, for the same partitions, and are not
 * `started` yet: each group can run as one set of tasks that computes the parent once and writes every
 * shuffle (Spark would compute the parent once per shuffle unless it was persisted).
 */
export function siblingShuffleGroups(root: Stage, started: (stage: Stage) => boolean): Stage[][] {
  const byParent = new Map<string, Stage[]>();
  const seen = new Set<string>();
  const visit = (stage: Stage) => {
    for (const parent of stage.parents) {
      if (seen.has(parent.id)) continue;
      seen.add(parent.id);
      visit(parent);
      if (started(parent) || !parent.dep) continue;
      const key = `${parent.dep.parent.id}|${parent.registered}|${parent.only?.join(',') ?? 'all'}`;
      byParent.set(key, [...(byParent.get(key) ?? []), parent]);
    }
  };
  visit(root);
  // At most one shuffle with a user combiner per group: it works on the rows as computed, and the others
  // on copies (see bucketPartitionForEach); two of them would each need the originals.
  const groups: Stage[][] = [];
  for (const siblings of byParent.values()) {
    const user = siblings.filter((s) => runsUserCombiner(s.dep!));
    const fused = [...siblings.filter((s) => !runsUserCombiner(s.dep!)), ...user.slice(0, 1)];
    if (fused.length > 1) groups.push(fused);
  }
  return groups;
}

/**
 * The job-made nodes right under driver-made lineage (built in foreachBatch), which tasks can compute
 * so that only the driver part runs on the coordinator: `toSave`, this batch's state or windows, to be
 * materialized by tasks and read back from the store; `toCompute`, nodes whose partitions tasks compute
 * and send back. Nodes cheaper to read than to copy through tasks (inputs, checkpoints, stored data of
 * earlier batches) are left for the coordinator to read. Shuffles under driver code are stages of their
 * own and are handled when they run.
 */
export function jobLineageUnder(
  roots: readonly LineageNode<unknown>[],
  batchTime: number,
): { toSave: LineageNode<unknown>[]; toCompute: LineageNode<unknown>[] } {
  const toSave = new Map<string, LineageNode<unknown>>();
  const toCompute = new Map<string, LineageNode<unknown>>();
  const seen = new Set<string>();
  const visit = (node: LineageNode<unknown>) => {
    if (seen.has(node.id)) return;
    seen.add(node.id);
    const saved = node.persisted || node.checkpointOf !== undefined;
    if (node.registered && saved) {
      // This batch's state or window slice is saved by tasks; earlier batches' are read from the store.
      if (node.time === batchTime) toSave.set(node.id, node);
      return;
    }
    // A union does no work itself (a window is a union of slices): look at what it unites.
    if (node.registered && !(node instanceof UnionNode)) {
      if (doesWork(node)) toCompute.set(node.id, node);
      return;
    }
    for (const dep of node.dependencies) if (dep.kind === 'narrow') visit(dep.parent);
  };
  roots.forEach(visit);
  return { toSave: [...toSave.values()], toCompute: [...toCompute.values()] };
}

/** Whether computing `node` costs more than reading what it reads (an input, a checkpoint). */
function doesWork(node: LineageNode<unknown>): boolean {
  return !(node instanceof SourceNode || node instanceof EmptyNode || node instanceof CheckpointNode);
}
