import { Subscription, type SchedulerAction, type SchedulerLike } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { connectivity, type ConnectivityEnvironment, type WakeReason } from '../../lib/retry/connectivity';

/** An EventTarget double that counts its listeners, so a spec can see none is left behind. */
class FakeTarget {
  readonly listeners = new Map<string, Set<(event: unknown) => void>>();
  visibilityState = 'visible';
  addEventListener(type: string, listener: (event: unknown) => void): void {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type)!.add(listener);
  }
  removeEventListener(type: string, listener: (event: unknown) => void): void {
    this.listeners.get(type)?.delete(listener);
  }
  dispatch(type: string, event: unknown = {}): void {
    for (const listener of [...(this.listeners.get(type) ?? [])]) listener(event);
  }
  get count(): number {
    return [...this.listeners.values()].reduce((n, set) => n + set.size, 0);
  }
}

/** A scheduler whose clock can jump, as a machine's clock does over a sleep, while timers stay in virtual time. */
class SleepyScheduler implements SchedulerLike {
  skew = 0;
  constructor(private readonly inner: TestScheduler) {}
  now(): number {
    return this.inner.now() + this.skew;
  }
  schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay?: number, state?: T): Subscription {
    return this.inner.schedule(work, delay, state);
  }
}

describe('connectivity: when a waiting read should try again at once', () => {
  let scheduler: TestScheduler;
  let win: FakeTarget;
  let doc: FakeTarget;
  let nav: { onLine: boolean };
  let env: ConnectivityEnvironment;
  beforeEach(() => {
    scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    win = new FakeTarget();
    doc = new FakeTarget();
    nav = { onLine: true };
    env = { window: win, document: doc, navigator: nav };
  });

  it('wakes on online, on the page becoming visible, on a page restored from the back/forward cache, and on resume', () => {
    const seen: WakeReason[] = [];
    scheduler.run(() => {
      const subscription = connectivity(env, scheduler).wakes.subscribe((reason) => seen.push(reason));
      win.dispatch('online');
      doc.visibilityState = 'hidden';
      doc.dispatch('visibilitychange');
      doc.visibilityState = 'visible';
      doc.dispatch('visibilitychange');
      win.dispatch('pageshow', { persisted: false });
      win.dispatch('pageshow', { persisted: true });
      doc.dispatch('resume');
      subscription.unsubscribe();
    });
    expect(seen).toEqual(['online', 'visible', 'resume', 'resume']);
  });

  it('notices a sleep: a clock check that comes far later than asked', () => {
    const sleepy = new SleepyScheduler(scheduler);
    const seen: Array<[WakeReason, number]> = [];
    scheduler.run(() => {
      const subscription = connectivity({}, sleepy, { checkEveryMs: 1_000, lateByMs: 5_000 }).wakes.subscribe(
        (reason) => seen.push([reason, scheduler.now()]),
      );
      // Asleep for a minute between the checks at 2 000 and 3 000: the clock jumps.
      scheduler.schedule(() => (sleepy.skew = 60_000), 2_500);
      // A busy event loop, late by less than lateByMs, is not sleep.
      scheduler.schedule(() => (sleepy.skew += 4_000), 5_500);
      scheduler.schedule(() => subscription.unsubscribe(), 10_000);
    });
    expect(seen).toEqual([['slept', 3_000]]);
  });

  it('does not count a late timer while the page is hidden (browsers throttle hidden pages)', () => {
    const sleepy = new SleepyScheduler(scheduler);
    const seen: WakeReason[] = [];
    scheduler.run(() => {
      const subscription = connectivity({ document: doc }, sleepy, {
        checkEveryMs: 1_000,
        lateByMs: 5_000,
      }).wakes.subscribe((reason) => seen.push(reason));
      scheduler.schedule(() => {
        doc.visibilityState = 'hidden';
        sleepy.skew = 60_000;
      }, 1_500);
      scheduler.schedule(() => subscription.unsubscribe(), 5_000);
    });
    expect(seen).toEqual([]);
  });

  it('reports offline only when the platform says so', () => {
    expect(connectivity(env, scheduler).isOffline()).toBe(false);
    nav.onLine = false;
    expect(connectivity(env, scheduler).isOffline()).toBe(true);
    expect(connectivity({}, scheduler).isOffline()).toBe(false);
  });

  it('is lazy and shared: one set of listeners and one timer for any number of reads, none left after the last unsubscribes', () => {
    scheduler.run(() => {
      const { wakes } = connectivity(env, scheduler);
      expect(win.count + doc.count).toBe(0);
      const a = wakes.subscribe();
      const b = wakes.subscribe();
      expect(win.count).toBe(2); // online, pageshow
      expect(doc.count).toBe(2); // visibilitychange, resume
      a.unsubscribe();
      expect(win.count + doc.count).toBe(4);
      b.unsubscribe();
      expect(win.count + doc.count).toBe(0);
    });
    // The clock-check timer went with the last subscriber: nothing is left to run.
    expect(scheduler.actions).toHaveLength(0);
  });

  it('works where there is no window or document (Node): the clock check alone', () => {
    const seen: WakeReason[] = [];
    scheduler.run(() => {
      const subscription = connectivity({}, scheduler, { checkEveryMs: 1_000, lateByMs: 5_000 }).wakes.subscribe(
        (reason) => seen.push(reason),
      );
      scheduler.schedule(() => subscription.unsubscribe(), 10_000);
    });
    expect(seen).toEqual([]);
  });
});
