/**
 * Deterministic ids for lineage nodes. A node's id must be the same in the coordinator and in every task
 * process, so ids are never global counters: they are (origin, sequence within that origin's compute
 * call, batch time). The same job code generating the same batch therefore names every node the same.
 */

export interface NodeIdentity {
  id: string;
  /** Safe to use inside a store key (no '@'). */
  keyName: string;
  /** The batch time the node belongs to (used for key layout and garbage collection). */
  time: number;
  /** True when job code reproduces the node on any process; false for nodes made by driver-only code. */
  registered: boolean;
}

export class IdScope {
  private next = 0;

  constructor(
    readonly origin: string,
    readonly time: number,
    readonly registered: boolean,
    /** Receives every node created in this scope (the task side finds nodes by id through it). */
    readonly onCreate?: (identity: NodeIdentity, node: unknown) => void,
  ) {}

  allocate(): NodeIdentity {
    const seq = this.next++;
    const keyName = `${this.origin}.${seq}`;
    return { id: `${keyName}@${this.time}`, keyName, time: this.time, registered: this.registered };
  }
}

const stack: IdScope[] = [];
let looseScope = new IdScope('x', 0, false);

/** Runs `fn` with `scope` as the source of ids for nodes created synchronously inside it. */
export function withScope<T>(scope: IdScope, fn: () => T): T {
  stack.push(scope);
  try {
    return fn();
  } finally {
    stack.pop();
  }
}

export function currentScope(): IdScope | undefined {
  return stack[stack.length - 1];
}

/** Scope for nodes created outside any job generation (tests, ad-hoc code). */
export function looseIdScope(): IdScope {
  return looseScope;
}

export function resetLooseScope(): void {
  looseScope = new IdScope('x', 0, false);
}
