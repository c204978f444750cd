import type { LineageNode, ShuffleDependency } from '../plan';

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
  const above = await missingParentStages(dep.parent, shuffleStages, availability);
  stage.parents = above.parents;
  stage.reads = above.reads;
  return stage;
}
