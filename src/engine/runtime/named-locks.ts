/** How a request holds a name: with other readers, or alone. */
export type LockMode = 'shared' | 'exclusive';
export type LockClaim = [name: string, mode: LockMode];

type LockState = { pending: number; lastExclusive: Promise<void>; sharedSince: Promise<void>[] };

/**
 * Readers-writer locks by name, first come first served: a claim waits for the exclusive claim before it
 * and, if exclusive itself, for the shared claims since. Requests claim in sorted order, so none deadlock.
 */
export class NamedLocks {
  private readonly locks = new Map<string, LockState>();

  async acquire(claims: readonly LockClaim[]): Promise<() => void> {
    const modes = new Map<string, LockMode>();
    for (const [name, mode] of claims) if (modes.get(name) !== 'exclusive') modes.set(name, mode);
    const releases: (() => void)[] = [];
    for (const name of [...modes.keys()].sort()) releases.push(await this.lock(name, modes.get(name)!));
    return () => {
      for (const release of releases.splice(0)) release();
    };
  }

  private async lock(name: string, mode: LockMode): Promise<() => void> {
    const lock = this.locks.get(name) ?? { pending: 0, lastExclusive: Promise.resolve(), sharedSince: [] };
    this.locks.set(name, lock);
    lock.pending++;
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = () => {
        resolve();
        if (--lock.pending === 0) this.locks.delete(name);
      };
    });
    const before = mode === 'shared' ? [lock.lastExclusive] : [lock.lastExclusive, ...lock.sharedSince];
    if (mode === 'shared') lock.sharedSince.push(released);
    else [lock.lastExclusive, lock.sharedSince] = [released, []];
    await Promise.all(before);
    return release;
  }
}
