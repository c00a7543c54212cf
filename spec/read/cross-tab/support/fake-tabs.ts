import type { LockManagerLike } from '../../../../lib/read/cross-tab/leadership';
import type { ChannelLike } from '../../../../lib/read/cross-tab/tab-channel';

/** A later task, as the browser grants locks and delivers messages. */
const later = (fn: () => void) => void setTimeout(fn, 0);

type Callback = (lock: unknown) => Promise<void> | void;
interface Pending {
  readonly name: string;
  readonly callback: Callback;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  readonly signal?: AbortSignal;
}

/**
 * Web Locks as the browser keeps them for one origin, in memory: exclusive
 * locks granted in request order, `ifAvailable`, leaving the queue with a
 * signal, `query()`. Grants come in a later task, as in the browser.
 */
export class FakeLocks implements LockManagerLike {
  readonly held = new Map<string, number>();
  readonly queue: Pending[] = [];
  private nextHolder = 0;

  request(
    name: string,
    options: { readonly signal?: AbortSignal; readonly ifAvailable?: boolean },
    callback: Callback,
  ): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (options.signal?.aborted) return reject(new DOMException('aborted', 'AbortError'));
      if (options.ifAvailable && (this.held.has(name) || this.queue.some((p) => p.name === name))) {
        later(() => resolve(callback(null)));
        return;
      }
      const pending: Pending = {
        name,
        callback,
        resolve,
        reject,
        ...(options.signal ? { signal: options.signal } : {}),
      };
      this.queue.push(pending);
      options.signal?.addEventListener('abort', () => {
        const index = this.queue.indexOf(pending);
        if (index < 0) return;
        this.queue.splice(index, 1);
        reject(new DOMException('aborted', 'AbortError'));
      });
      later(() => this.grant());
    });
  }

  query(): Promise<{ held: Array<{ name: string }>; pending: Array<{ name: string }> }> {
    return Promise.resolve({
      held: [...this.held.keys()].map((name) => ({ name })),
      pending: this.queue.map(({ name }) => ({ name })),
    });
  }

  private grant(): void {
    for (const pending of [...this.queue]) {
      if (this.held.has(pending.name) || this.queue.find((p) => p.name === pending.name) !== pending) continue;
      this.queue.splice(this.queue.indexOf(pending), 1);
      const holder = this.nextHolder++;
      this.held.set(pending.name, holder);
      Promise.resolve(pending.callback({ name: pending.name })).then(
        (value) => this.release(pending, holder, () => pending.resolve(value)),
        (error: unknown) => this.release(pending, holder, () => pending.reject(error)),
      );
    }
  }

  private release(pending: Pending, holder: number, settle: () => void): void {
    if (this.held.get(pending.name) === holder) this.held.delete(pending.name);
    settle();
    later(() => this.grant());
  }
}

/** BroadcastChannels of one origin, in memory: a message reaches every other open channel of its name, in a later task. */
export class FakeChannels {
  readonly open = new Set<FakeChannel>();
  readonly posted: Array<{ readonly name: string; readonly message: unknown }> = [];

  readonly create = (name: string): ChannelLike => {
    const channel = new FakeChannel(name, this);
    this.open.add(channel);
    return channel;
  };

  deliver(from: FakeChannel, message: unknown): void {
    this.posted.push({ name: from.name, message });
    // Structured clone: receivers never share the sender's objects.
    const copy = structuredClone(message);
    for (const channel of this.open) {
      if (channel === from || channel.name !== from.name) continue;
      later(() => channel.receive(copy));
    }
  }
}

class FakeChannel implements ChannelLike {
  private readonly listeners = new Set<(event: { readonly data: unknown }) => void>();
  private closed = false;

  constructor(
    readonly name: string,
    private readonly hub: FakeChannels,
  ) {}

  postMessage(message: unknown): void {
    if (this.closed) throw new DOMException('closed', 'InvalidStateError');
    this.hub.deliver(this, message);
  }
  addEventListener(_type: 'message', listener: (event: { readonly data: unknown }) => void): void {
    this.listeners.add(listener);
  }
  removeEventListener(_type: 'message', listener: (event: { readonly data: unknown }) => void): void {
    this.listeners.delete(listener);
  }
  close(): void {
    this.closed = true;
    this.hub.open.delete(this);
  }
  receive(data: unknown): void {
    if (this.closed) return;
    for (const listener of this.listeners) listener({ data });
  }
  get listenerCount(): number {
    return this.listeners.size;
  }
}

/**
 * For a describe whose tests stand for browser tabs: `setLocks(locks)` gives
 * `navigator.locks` (Web Locks) to this test, and after each test `navigator`
 * is as it was before the file ran.
 */
export function fakeNavigatorPerTest(): { setLocks(locks: LockManagerLike): void } {
  const before = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
  afterEach(() => {
    if (before) Object.defineProperty(globalThis, 'navigator', before);
    else delete (globalThis as { navigator?: unknown }).navigator;
  });
  return {
    setLocks: (locks) =>
      Object.defineProperty(globalThis, 'navigator', { value: { locks }, configurable: true, writable: true }),
  };
}
