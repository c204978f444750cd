import type { GroupedValues, Pair, StateUpdate } from '../plan';
import { keyIdentity } from '../util/hash';
import { StateAccessError } from './errors';

/**
 * updateStateByKey: `fn(newValues, state)` runs for every key that has state or new values; returning
 * undefined removes the key. Keys with state come first in their previous order, then new keys in the
 * order their values arrived, so the result is deterministic.
 */
export function updateStateByKeyFunction<K, V, S>(
  fn: (values: V[], state: S | undefined) => S | undefined,
): StateUpdate<K, V, Pair<K, S>> {
  return (previous, grouped) => {
    const next: Pair<K, S>[] = [];
    for (const [key, state] of previous) {
      const id = keyIdentity(key);
      const values = grouped.get(id)?.[1] ?? [];
      grouped.delete(id);
      const updated = fn(values, state);
      if (updated !== undefined) next.push([key, updated]);
    }
    for (const [key, values] of grouped.values()) {
      const created = fn(values, undefined);
      if (created !== undefined) next.push([key, created]);
    }
    return next;
  };
}

/** The state of one key as mapWithState's function sees it. */
export interface KeyState<S> {
  exists(): boolean;
  /** The state; throws when there is none (check `exists()` or use `getOption()`). */
  get(): S;
  getOption(): S | undefined;
  update(state: S): void;
  remove(): void;
  /** True in the one extra call made when the key timed out; the state can then only be read. */
  isTimingOut(): boolean;
}

/** A mapWithState state row: key, state (undefined once removed), time of its last update, this batch's output. */
export type MapWithStateRow<K, S, U> = [K, S | undefined, number, U[]];

class KeyStateHandle<S> implements KeyState<S> {
  private present: boolean;

  constructor(
    private state: S | undefined,
    exists: boolean,
    private readonly timingOut: boolean,
  ) {
    this.present = exists;
  }

  exists(): boolean {
    return this.present;
  }

  get(): S {
    if (!this.present)
      throw new StateAccessError('no state for this key: check exists() before get(), or use getOption()');
    return this.state as S;
  }

  getOption(): S | undefined {
    return this.present ? this.state : undefined;
  }

  update(state: S): void {
    if (this.timingOut) throw new StateAccessError('cannot update the state of a key that is timing out');
    if (state === undefined)
      throw new StateAccessError('state cannot be undefined: call remove() to drop the key');
    this.state = state;
    this.present = true;
  }

  remove(): void {
    if (this.timingOut)
      throw new StateAccessError('cannot remove the state of a key that is timing out; it is removed anyway');
    this.present = false;
  }

  isTimingOut(): boolean {
    return this.timingOut;
  }
}

/**
 * mapWithState: `fn(key, value, state)` runs once per new value of a key (in arrival order); keys idle
 * for `timeoutMs` get one more call with no value and `isTimingOut()`, then their state is removed.
 */
export function mapWithStateFunction<K, V, S, U>(
  fn: (key: K, value: V | undefined, state: KeyState<S>) => U | undefined,
  timeoutMs: number | undefined,
): StateUpdate<K, V, MapWithStateRow<K, S, U>> {
  return (previous, grouped: GroupedValues<K, V>, time) => {
    const next: MapWithStateRow<K, S, U>[] = [];
    const apply = (key: K, state: S | undefined, exists: boolean, updatedAt: number, values: V[]) => {
      const outputs: U[] = [];
      const handle = new KeyStateHandle(state, exists, false);
      for (const value of values) {
        const produced = fn(key, value, handle);
        if (produced !== undefined) outputs.push(produced);
      }
      const lastUpdate = values.length > 0 ? time : updatedAt;
      if (handle.exists()) next.push([key, handle.get(), lastUpdate, outputs]);
      else if (outputs.length > 0) next.push([key, undefined, lastUpdate, outputs]);
    };
    for (const [key, state, updatedAt] of previous) {
      if (state === undefined) continue; // removed in the previous batch; its row only carried output
      const id = keyIdentity(key);
      const values = grouped.get(id)?.[1];
      grouped.delete(id);
      if (values === undefined && timeoutMs !== undefined && time - updatedAt >= timeoutMs) {
        const produced = fn(key, undefined, new KeyStateHandle(state, true, true));
        if (produced !== undefined) next.push([key, undefined, updatedAt, [produced]]);
        continue;
      }
      apply(key, state, true, updatedAt, values ?? []);
    }
    for (const [key, values] of grouped.values()) apply(key, undefined, false, time, values);
    return next;
  };
}
