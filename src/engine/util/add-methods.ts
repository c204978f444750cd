/**
 * Defines the methods of each group class on the target's prototype, as class methods are (not
 * enumerable). A class too large for one file keeps each group of its operations in a file of its own,
 * as Spark adds PairRDDFunctions to an RDD of pairs; the target's interface names the groups it extends.
 */
export function addMethods(target: { prototype: object }, groups: readonly { prototype: object }[]): void {
  for (const group of groups) {
    for (const name of Object.getOwnPropertyNames(group.prototype)) {
      if (name === 'constructor') continue;
      const method = Object.getOwnPropertyDescriptor(group.prototype, name);
      if (method) Object.defineProperty(target.prototype, name, method);
    }
  }
}
