import { ManualClock, SystemClock } from '../../src/engine/io/clock';
import { ConfigError } from '../../src/engine/util/errors';

/** Lets every already-resolved promise continuation run. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('ManualClock', () => {
  it('starts at the given time and moves only when advanced or set', () => {
    const clock = new ManualClock(1000);
    expect(clock.now()).toBe(1000);
    clock.advance(250);
    expect(clock.now()).toBe(1250);
    clock.setTime(2000);
    expect(clock.now()).toBe(2000);
    expect(new ManualClock().now()).toBe(0);
  });

  it('resolves a sleep until the current or a past time at once', async () => {
    const clock = new ManualClock(100);
    await clock.sleepUntil(100);
    await clock.sleepUntil(50);
    expect(clock.now()).toBe(100);
  });

  it('does not wake a sleeper before its time is reached', async () => {
    const clock = new ManualClock(0);
    let woke = false;
    void clock.sleepUntil(100).then(() => {
      woke = true;
    });
    clock.advance(99);
    await flush();
    expect(woke).toBe(false);
    expect(clock.pendingSleepers).toBe(1);
    clock.advance(1);
    await flush();
    expect(woke).toBe(true);
    expect(clock.pendingSleepers).toBe(0);
  });

  it('wakes due sleepers in time order when the clock advances', async () => {
    const clock = new ManualClock(0);
    const order: number[] = [];
    const sleep = (t: number) => clock.sleepUntil(t).then(() => order.push(t));
    const all = [sleep(30), sleep(10), sleep(20), sleep(40)];
    expect(clock.nextWakeup()).toBe(10);
    clock.advance(25);
    await flush();
    expect(order).toEqual([10, 20]);
    clock.setTime(100);
    await Promise.all(all);
    expect(order).toEqual([10, 20, 30, 40]);
  });

  it('wakes sleepers for the same time in the order they went to sleep', async () => {
    const clock = new ManualClock(0);
    const order: string[] = [];
    const sleeps = ['a', 'b', 'c'].map((id) => clock.sleepUntil(5).then(() => order.push(id)));
    clock.advance(5);
    await Promise.all(sleeps);
    expect(order).toEqual(['a', 'b', 'c']);
  });

  it('refuses to move backwards or by a negative or non-finite amount', () => {
    const clock = new ManualClock(500);
    expect(() => clock.setTime(499)).toThrow(ConfigError);
    expect(() => clock.setTime(499)).toThrow(/backwards from 500 to 499/);
    expect(() => clock.advance(-1)).toThrow(ConfigError);
    expect(() => clock.advance(Number.NaN)).toThrow(ConfigError);
    expect(() => new ManualClock(Number.POSITIVE_INFINITY)).toThrow(ConfigError);
    expect(clock.now()).toBe(500);
  });

  it('takes an aborted sleeper out of the queue, so time moving on wakes only real waits', async () => {
    const clock = new ManualClock(0);
    const stop = new AbortController();
    const woken: string[] = [];
    const aborted = clock
      .sleepUntil(100, { signal: stop.signal })
      .then(() => woken.push(`aborted at ${clock.now()}`));
    const kept = clock.sleepUntil(200).then(() => woken.push(`kept at ${clock.now()}`));
    expect(clock.pendingSleepers).toBe(2);
    stop.abort();
    await aborted;
    expect(clock.pendingSleepers).toBe(1);
    expect(clock.nextWakeup()).toBe(200);
    clock.advance(200);
    await kept;
    expect(woken).toEqual(['aborted at 0', 'kept at 200']);
  });

  it('does not move an auto-advancing clock for a background wait', async () => {
    const clock = new ManualClock(0, { autoAdvance: true });
    let renewed = false;
    const renewal = clock.sleepUntil(11_000, { background: true }).then(() => {
      renewed = true;
    });
    await new Promise(setImmediate);
    expect(clock.now()).toBe(0);
    expect(renewed).toBe(false);
    // A foreground sleep past it moves time, and the background sleeper wakes on the way.
    await clock.sleepUntil(12_000);
    await renewal;
    expect(renewed).toBe(true);
  });

  it('rejects a sleep until NaN', async () => {
    await expect(new ManualClock().sleepUntil(Number.NaN)).rejects.toThrow(ConfigError);
  });

  describe('with autoAdvance', () => {
    it('jumps to the target time and resolves at once', async () => {
      const clock = new ManualClock(0, { autoAdvance: true });
      await clock.sleepUntil(1000);
      expect(clock.now()).toBe(1000);
      await clock.sleepUntil(3000);
      expect(clock.now()).toBe(3000);
    });

    it('never moves the clock backwards for a past target', async () => {
      const clock = new ManualClock(5000, { autoAdvance: true });
      await clock.sleepUntil(1000);
      expect(clock.now()).toBe(5000);
    });

    it('runs a batch loop back to back without real waiting', async () => {
      const clock = new ManualClock(0, { autoAdvance: true });
      const batchTimes: number[] = [];
      for (let t = 1000; t <= 5000; t += 1000) {
        await clock.sleepUntil(t);
        batchTimes.push(clock.now());
      }
      expect(batchTimes).toEqual([1000, 2000, 3000, 4000, 5000]);
    });
  });
});

describe('SystemClock', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('reads the wall clock', () => {
    const before = Date.now();
    const now = new SystemClock().now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });

  it('waits at least until the target time', async () => {
    const clock = new SystemClock();
    const target = clock.now() + 20;
    await clock.sleepUntil(target);
    expect(Date.now()).toBeGreaterThanOrEqual(target);
  });

  it('resolves at once for a time already past', async () => {
    const clock = new SystemClock();
    const start = Date.now();
    await clock.sleepUntil(start - 1000);
    expect(Date.now() - start).toBeLessThan(15);
  });

  it('ends a sleep as soon as its signal aborts, leaving no timer behind', async () => {
    const clock = new SystemClock();
    const stop = new AbortController();
    const cleared = jest.spyOn(global, 'clearTimeout');
    const sleeping = clock.sleepUntil(clock.now() + 3_600_000, { signal: stop.signal });
    stop.abort();
    await sleeping;
    expect(cleared).toHaveBeenCalled();
    // Already aborted: no wait at all.
    await clock.sleepUntil(clock.now() + 3_600_000, { signal: stop.signal });
  });

  it('keeps no process alive for a background wait', async () => {
    const timers: NodeJS.Timeout[] = [];
    const realSetTimeout = global.setTimeout;
    jest.spyOn(global, 'setTimeout').mockImplementation(((callback: () => void, ms?: number) => {
      const timer = realSetTimeout(callback, ms);
      timers.push(timer);
      return timer;
    }) as unknown as typeof setTimeout);
    const clock = new SystemClock();
    const stop = new AbortController();
    const renewal = clock.sleepUntil(clock.now() + 3_600_000, { signal: stop.signal, background: true });
    expect(timers.map((t) => t.hasRef())).toEqual([false]);
    stop.abort();
    await renewal;
  });

  it('keeps waiting when a timer fires early', async () => {
    let fakeNow = 1000;
    jest.spyOn(Date, 'now').mockImplementation(() => fakeNow);
    const delays: number[] = [];
    jest.spyOn(global, 'setTimeout').mockImplementation(((callback: () => void, ms?: number) => {
      delays.push(ms ?? 0);
      // Fire early: time moves by less than was asked for.
      fakeNow += Math.max(1, (ms ?? 0) - 5);
      callback();
      return 0 as unknown as NodeJS.Timeout;
    }) as unknown as typeof setTimeout);
    await new SystemClock().sleepUntil(1020);
    expect(fakeNow).toBeGreaterThanOrEqual(1020);
    expect(delays.length).toBeGreaterThan(1);
    expect(delays.every((ms) => ms >= 1)).toBe(true);
  });
});
