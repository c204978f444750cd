import { AsyncLocalStorage } from 'node:async_hooks';
import type { ActionRunner } from '../plan';

/**
 * The action runner of the batch whose driver code (foreachBatch) is running, so that RDDs driver code
 * reaches other than through its argument (stream.slice()) run their actions in that batch too.
 */
const current = new AsyncLocalStorage<ActionRunner>();

export function runAsDriverOf<R>(runner: ActionRunner | undefined, fn: () => R): R {
  return runner ? current.run(runner, fn) : fn();
}

export function currentDriverRunner(): ActionRunner | undefined {
  return current.getStore();
}
