import { BehaviorSubject, Subscription, throwError } from 'rxjs';
import { crossTabTail, type CrossTabEnvironment } from '../../../lib/read/cross-tab/cross-tab-tail';
import { leadership } from '../../../lib/read/cross-tab/leadership';
import type { TailSnapshot } from '../../../lib/read/shared/tail-snapshot';
import { DurableStreamError } from '../../../lib/errors/durable-stream-error';

import { FakeChannels, FakeLocks } from './support/fake-tabs';
import { FakeStream, offsetAt } from './support/fake-stream';
import { until } from '../../support/until';

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('leadership (Web Locks)', () => {
  it('emits once the lock is held; unsubscribing releases it to the next in the queue', async () => {
    const locks = new FakeLocks();
    const led: string[] = [];
    const a = leadership(locks, 'l').subscribe(() => led.push('a'));
    await until(
      () => led.length === 1,
      () => 'a to lead',
    );
    const b = leadership(locks, 'l').subscribe(() => led.push('b'));
    await tick();
    expect(led).toEqual(['a']);
    a.unsubscribe();
    await until(
      () => led.length === 2,
      () => 'b to lead',
    );
    expect(led).toEqual(['a', 'b']);
    b.unsubscribe();
    await until(
      () => locks.held.size === 0,
      () => 'the lock to be free',
    );
  });

  it('leaves the queue without an error when unsubscribed before its turn', async () => {
    const locks = new FakeLocks();
    const a = leadership(locks, 'l').subscribe();
    await until(
      () => locks.held.size === 1,
      () => 'a to hold the lock',
    );
    const errors: unknown[] = [];
    const b = leadership(locks, 'l').subscribe({ next: () => errors.push('led'), error: (e) => errors.push(e) });
    await tick();
    b.unsubscribe();
    await tick();
    expect(locks.queue).toEqual([]);
    a.unsubscribe();
    await tick();
    expect(errors).toEqual([]);
    expect(locks.held.size).toBe(0);
  });
});

describe('crossTabTail (tabs faked in memory)', () => {
  let locks: FakeLocks;
  let channels: FakeChannels;
  let stream: FakeStream;
  const subscriptions: Subscription[] = [];

  beforeEach(() => {
    locks = new FakeLocks();
    channels = new FakeChannels();
    stream = new FakeStream();
  });
  afterEach(() => subscriptions.splice(0).forEach((s) => s.unsubscribe()));

  /** A tab reading the tail: what it heard, its page state, and its subscription. */
  function tab(start = offsetAt(0), local = stream.live) {
    const active = new BehaviorSubject(true);
    const env: CrossTabEnvironment = { locks, channel: channels.create, active, errorType: DurableStreamError };
    const heard: Array<TailSnapshot<string>> = [];
    const errors: unknown[] = [];
    const subscription = crossTabTail('t', { offset: start }, local, env).subscribe({
      next: (s) => heard.push(s),
      error: (e) => errors.push(e),
    });
    subscriptions.push(subscription);
    // A tail may tell a step again (a hello's answer): readers skip what they have, so count each step once.
    const text = () =>
      [...new Map(heard.filter((s) => s.step).map((s) => [s.step!.offset, s.step!.payload])).values()].join('');
    return { active, heard, errors, subscription, text };
  }

  it('runs one tail for all tabs: the lock holder reads, the others hear it on the channel', async () => {
    const a = tab();
    await until(
      () => stream.opened.length === 1,
      () => 'a to start the tail',
    );
    const b = tab();
    await tick();
    stream.append('x', 'y');
    await until(
      () => b.text() === 'xy',
      () => `b to hear x and y (${b.text()})`,
    );
    expect(a.text()).toBe('xy');
    expect(stream.opened).toEqual([offsetAt(0)]);
    expect(stream.active).toBe(1);
  });

  it('answers a tab that arrives late with where the tail stands', async () => {
    tab();
    await until(
      () => stream.opened.length === 1,
      () => 'a to start the tail',
    );
    stream.append('x');
    await tick();
    const late = tab(offsetAt(1));
    await until(
      () => late.heard.length > 0,
      () => 'the late tab to hear where the tail stands',
    );
    expect(late.heard[0]).toEqual({
      from: offsetAt(0),
      step: { payload: 'x', offset: offsetAt(1), upToDate: true, closed: false },
    });
  });

  it('hands the tail to the next tab, from the last offset it heard, when the holding tab closes', async () => {
    const a = tab();
    await until(
      () => stream.opened.length === 1,
      () => 'a to start the tail',
    );
    const b = tab();
    await tick();
    stream.append('x');
    await until(
      () => b.text() === 'x',
      () => 'b to hear x',
    );
    a.subscription.unsubscribe();
    await until(
      () => stream.opened.length === 2,
      () => 'b to take the tail over',
    );
    expect(stream.opened).toEqual([offsetAt(0), offsetAt(1)]);
    stream.append('y');
    await until(
      () => b.text() === 'xy',
      () => `b to read y itself (${b.text()})`,
    );
    expect(stream.active).toBe(1);
  });

  /** Tab a holds the tail, tab b follows; a's page is frozen, and b takes the tail over. */
  async function freezeTheHolder() {
    const a = tab();
    await until(
      () => stream.opened.length === 1,
      () => 'a to start the tail',
    );
    const b = tab();
    await tick();
    a.active.next(false);
    await until(
      () => stream.opened.length === 2 && stream.active === 1,
      () => 'b to take the tail over',
    );
    return { a, b };
  }

  it('gives the tail up while its page is frozen, and follows the new holder when it resumes', async () => {
    const { a, b } = await freezeTheHolder();
    a.active.next(true);
    stream.append('z');
    await until(
      () => a.text() === 'z' && b.text() === 'z',
      () => `both to hear z (${a.text()}, ${b.text()})`,
    );
    expect(stream.active).toBe(1);
  });

  it('does not take the tail while frozen, even when nobody else holds it; takes it when it resumes', async () => {
    const { a, b } = await freezeTheHolder();
    b.subscription.unsubscribe();
    await until(
      () => stream.active === 0,
      () => 'b to leave',
    );
    await tick();
    expect(stream.opened.length).toBe(2);
    a.active.next(true);
    await until(
      () => stream.opened.length === 3 && stream.active === 1,
      () => 'a to take the tail again',
    );
  });

  it("fails only the holding tab with its tail's error; the next tab reads on its own", async () => {
    const error = new Error('gone');
    let failing = true;
    const local = (from: { offset: string }) => (failing ? throwError(() => error) : stream.live(from));
    const a = tab(offsetAt(0), local);
    await until(
      () => a.errors.length === 1,
      () => 'a to fail',
    );
    failing = false;
    const b = tab(offsetAt(0), local);
    await until(
      () => stream.opened.length === 1,
      () => 'b to read on its own',
    );
    expect(a.errors).toEqual([error]);
    expect(b.errors).toEqual([]);
  });

  it('leaves no channel, lock, queued request or tail behind once every tab has left', async () => {
    const a = tab();
    await until(
      () => stream.opened.length === 1,
      () => 'a to start the tail',
    );
    tab();
    tab();
    await tick();
    subscriptions.splice(0).forEach((s) => s.unsubscribe());
    await until(
      () => locks.held.size === 0,
      () => 'every lock to be released',
    );
    expect(locks.queue).toEqual([]);
    expect(channels.open.size).toBe(0);
    expect(stream.active).toBe(0);
    expect(a.errors).toEqual([]);
  });
});
