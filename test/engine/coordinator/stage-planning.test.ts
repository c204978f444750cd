/**
 * Pure planning decisions of schedule/stages.ts: which shuffle-map stages run as one set of tasks, and
 * which job-made nodes under driver code tasks compute for the coordinator.
 */
import {
  IdScope,
  type LineageNode,
  NarrowNode,
  RecordNode,
  ShuffledNode,
  SourceNode,
  UnionNode,
  withScope,
} from '../../../src/engine/plan';
import { jobLineageUnder, type Stage, siblingShuffleGroups } from '../../../src/engine/schedule/stages';

const TIME = 5000;
const job = new IdScope('s1', TIME, true);
const driver = new IdScope('d', TIME, false);

const identity = <T>(rows: T[]) => rows;

/** A shuffle-map stage for `node`'s first shuffle dependency, as buildFinalStage would make it. */
function shuffleStageOf(node: ShuffledNode<unknown>): Stage {
  return {
    id: `shuffle:${node.shuffle.id}`,
    kind: 'shuffleMap',
    node,
    dep: node.shuffle,
    depIndex: 0,
    partitions: node.shuffle.parent.numPartitions,
    parents: [],
    reads: [],
    registered: node.registered,
  };
}

function finalOver(parents: Stage[]): Stage {
  return {
    id: 'final',
    kind: 'final',
    node: parents[0].node,
    partitions: 2,
    parents,
    reads: [],
    registered: true,
  };
}

describe('siblingShuffleGroups', () => {
  const sum = {
    createCombiner: (v: number) => v,
    mergeValue: (a: number, b: number) => a + b,
    mergeCombiners: (a: number, b: number) => a + b,
  };
  const intact = { ...sum, leavesValuesIntact: true as const };

  function shufflesOf(parent: LineageNode<unknown>, kinds: ('user' | 'intact' | 'plain')[]): Stage[] {
    return kinds.map((kind) =>
      shuffleStageOf(
        withScope(job, () =>
          kind === 'plain'
            ? new ShuffledNode('groupByKey', parent, { partitions: 2, partitionBy: 'hash' })
            : new ShuffledNode('reduceByKey', parent, {
                partitions: 2,
                partitionBy: 'hash',
                aggregator: kind === 'user' ? sum : intact,
                mapSideCombine: true,
              }),
        ),
      ),
    );
  }

  it('groups not-yet-started shuffles of one parent, with at most one user combiner', () => {
    const source = withScope(job, () => new SourceNode<unknown>(0, TIME, 2));
    const [user1, user2, plain, engine] = shufflesOf(source, ['user', 'user', 'plain', 'intact']);
    const groups = siblingShuffleGroups(finalOver([user1, user2, plain, engine]), () => false);
    expect(groups.map((g) => g.map((s) => s.id))).toEqual([[plain.id, engine.id, user1.id]]);
  });

  it('leaves out stages already started, and parents that differ', () => {
    const a = withScope(job, () => new SourceNode<unknown>(0, TIME, 2));
    const b = withScope(job, () => new SourceNode<unknown>(1, TIME, 2));
    const [onA] = shufflesOf(a, ['plain']);
    const [onB, started] = shufflesOf(b, ['plain', 'intact']);
    expect(siblingShuffleGroups(finalOver([onA, onB, started]), (s) => s === started)).toEqual([]);
  });

  it('does not group shuffles that re-run different lost map outputs', () => {
    const source = withScope(job, () => new SourceNode<unknown>(0, TIME, 2));
    const [first, second] = shufflesOf(source, ['plain', 'intact']);
    expect(
      siblingShuffleGroups(
        finalOver([
          { ...first, only: [0] },
          { ...second, only: [1] },
        ]),
        () => false,
      ),
    ).toEqual([]);
  });
});

describe('jobLineageUnder', () => {
  it('hands tasks the job-made node under driver code, not the driver-made part', () => {
    const source = withScope(job, () => new SourceNode<string>(0, TIME, 2));
    const words = withScope(
      job,
      () => new RecordNode<string, string>('flatMap', source, (l, emit) => emit(l)),
    );
    const upper = withScope(driver, () => new RecordNode<string, string>('map', words, (w, emit) => emit(w)));
    expect(jobLineageUnder([upper], TIME)).toEqual({ toSave: [], toCompute: [words] });
  });

  it("saves this batch's persisted nodes through tasks and reads earlier batches' from the store", () => {
    const now = withScope(
      job,
      () => new NarrowNode('updateStateByKey', new SourceNode(0, TIME, 2), identity),
    );
    now.persisted = true;
    const before = withScope(
      new IdScope('s2', TIME - 1000, true),
      () => new NarrowNode('updateStateByKey', new SourceNode(0, TIME - 1000, 2), identity),
    );
    before.persisted = true;
    const both = withScope(driver, () => new UnionNode<unknown>([now, before]));
    expect(jobLineageUnder([both], TIME)).toEqual({ toSave: [now], toCompute: [] });
  });

  it('looks through a job-made union (a window) to the slices it unites', () => {
    const slice = withScope(
      job,
      () => new RecordNode<string, string>('map', new SourceNode(0, TIME, 2), (x, e) => e(x)),
    );
    slice.persisted = true;
    const computed = withScope(
      job,
      () => new RecordNode<string, string>('map', new SourceNode(1, TIME, 2), (x, e) => e(x)),
    );
    const window = withScope(job, () => new UnionNode<string>([slice, computed]));
    const counted = withScope(driver, () => new NarrowNode('count', window, (rows) => [rows.length]));
    expect(jobLineageUnder([counted], TIME)).toEqual({ toSave: [slice], toCompute: [computed] });
  });

  it('leaves inputs for the coordinator to read directly', () => {
    const source = withScope(job, () => new SourceNode<string>(0, TIME, 2));
    const mapped = withScope(driver, () => new RecordNode<string, string>('map', source, (x, e) => e(x)));
    expect(jobLineageUnder([mapped], TIME)).toEqual({ toSave: [], toCompute: [] });
  });
});
