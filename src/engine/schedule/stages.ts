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
  parents: Stage[];
  /** Made by job code (runs as tasks) or by driver code in foreachBatch (runs in the coordinator). */
  registered: boolean;
}

/** Builds the stage graph of `node`, sharing shuffle-map stages through `shuffleStages`. */
export function buildFinalStage(node: LineageNode<unknown>, shuffleStages: Map<string, Stage>): Stage {
  return {
    id: `final:${node.id}`,
    kind: 'final',
    node,
    partitions: node.numPartitions,
    parents: parentStages(node, shuffleStages),
    registered: node.registered,
  };
}

function parentStages(root: LineageNode<unknown>, shuffleStages: Map<string, Stage>): Stage[] {
  const parents: Stage[] = [];
  const seen = new Set<string>();
  const visit = (node: LineageNode<unknown>) => {
    if (seen.has(node.id)) return;
    seen.add(node.id);
    node.dependencies.forEach((dep, index) => {
      if (dep.kind === 'narrow') visit(dep.parent);
      else parents.push(shuffleStage(node, dep, index, shuffleStages));
    });
  };
  visit(root);
  return parents;
}

function shuffleStage(
  owner: LineageNode<unknown>,
  dep: ShuffleDependency,
  depIndex: number,
  shuffleStages: Map<string, Stage>,
): Stage {
  const existing = shuffleStages.get(dep.id);
  if (existing) return existing;
  const stage: Stage = {
    id: `shuffle:${dep.id}`,
    kind: 'shuffleMap',
    node: owner,
    dep,
    depIndex,
    partitions: dep.parent.numPartitions,
    parents: parentStages(dep.parent, shuffleStages),
    registered: owner.registered,
  };
  shuffleStages.set(dep.id, stage);
  return stage;
}
