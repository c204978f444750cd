/**
 * DStream as users see it: the base class with the pair, window, state and output operations added, as
 * Spark adds PairDStreamFunctions to a stream of pairs. Each group is a class of its own file; their
 * methods are copied onto DStream here, so every stream has them whichever module is imported first.
 */
import { DStream } from './dstream-base';
import { OutputOperations } from './output-operations';
import { PairOperations } from './pair-operations';
import { StateOperations } from './state-operations';
import { WindowOperations } from './window-operations';

declare module './dstream-base' {
  interface DStream<T> extends PairOperations, WindowOperations<T>, StateOperations, OutputOperations<T> {}
}

addOperations(DStream, [PairOperations, WindowOperations, StateOperations, OutputOperations]);

/** Defines each group's methods on the target's prototype as class methods are: not enumerable. */
function addOperations(target: { prototype: object }, groups: readonly { prototype: object }[]): void {
  for (const group of groups) {
    for (const name of Object.getOwnPropertyNames(group.prototype)) {
      if (name === 'constructor') continue;
      const method = Object.getOwnPropertyDescriptor(group.prototype, name);
      if (method) Object.defineProperty(target.prototype, name, method);
    }
  }
}

export type { MapWithStateOptions, MapWithStateStream, StateOptions } from './state-operations';
export type { ReduceByKeyWindowOptions, ReduceWindowOptions } from './window-operations';
export { DStream };
