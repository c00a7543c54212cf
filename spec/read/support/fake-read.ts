import { Observable, Subscription, type SchedulerAction, type SchedulerLike } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import type { ReadRequest, ReadStep } from '../../../lib/read/read-step';
import { resolveReadOptions } from '../../../lib/read/resolve-read-options';
import type { ReadOptions } from '../../../lib/read/read-options';
import type { ReadLoopConfig } from '../../../lib/read/read-loop';
import { TimeoutError } from '../../../lib/errors/client-errors';
import { DurableStreamError } from '../../../lib/errors/durable-stream-error';
import { liveKit } from '../../../lib/read/live-reads';
import { SseUnavailableError } from '../../../lib/read/sse-unavailable-error';
import { DEFAULT_RETRY } from '../../../lib/retry/retry-config';

export const URL = 'http://ds.test/v1/stream/s';

/** A step of text payload. */
export function step(offset: string, payload = '', extra: Partial<ReadStep<string>> = {}): ReadStep<string> {
  return { payload, offset, cursor: undefined, upToDate: false, closed: false, ...extra };
}

/** Loop config over string payloads, retries without jitter so backoff times are exact. */
export function loopConfig(
  options: ReadOptions,
  scheduler: SchedulerLike,
  retry: Partial<typeof DEFAULT_RETRY> = {},
): ReadLoopConfig<string> {
  return {
    url: URL,
    options: resolveReadOptions(
      options,
      { timeoutMs: 1_000, retry: { ...DEFAULT_RETRY, jitter: false, initialDelayMs: 100, ...retry } },
      URL,
    ),
    scheduler,
    isEmpty: (payload) => payload.length === 0,
    // As the code of live reads makes its loops (a catch-up alone never uses it).
    kit: liveKit({ DurableStreamError, SseUnavailableError, TimeoutError }),
  };
}

/**
 * A fake `OpenRequest`: the read path's seam above HTTP, as
 * `produce/support/fake-server.ts` fakes the producer's (HTTP doubles are in
 * `spec/support/`). Logs each request (with the virtual time it was
 * made) and counts the sources subscribed at once.
 */
export class FakeReadSource {
  readonly requests: Array<ReadRequest & { readonly at: number }> = [];
  active = 0;
  maxActive = 0;

  constructor(
    private readonly scheduler: TestScheduler,
    private readonly respond: (request: ReadRequest, index: number) => Observable<ReadStep<string>>,
  ) {}

  readonly open = (request: ReadRequest): Observable<ReadStep<string>> =>
    new Observable<ReadStep<string>>((subscriber) => {
      this.requests.push({ ...request, at: this.scheduler.now() });
      this.active += 1;
      this.maxActive = Math.max(this.maxActive, this.active);
      const inner = this.respond(request, this.requests.length - 1).subscribe(subscriber);
      return () => {
        this.active -= 1;
        inner.unsubscribe();
      };
    });

  kinds(): string[] {
    return this.requests.map((r) => `${r.kind}@${r.offset}`);
  }
}

/**
 * Wraps a scheduler to count timers that are pending: scheduled and neither
 * run nor cancelled. A read that leaks a timer leaves this above zero.
 */
export class TimerCounter implements SchedulerLike {
  pending = 0;
  constructor(private readonly inner: SchedulerLike) {}
  now(): number {
    return this.inner.now();
  }
  schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay?: number, state?: T): Subscription {
    this.pending += 1;
    let settled = false;
    const settle = () => {
      if (!settled) {
        settled = true;
        this.pending -= 1;
      }
    };
    const action = this.inner.schedule(
      function (this: SchedulerAction<T>, s?: T) {
        settle();
        work.call(this, s);
      },
      delay,
      state,
    );
    action.add(settle);
    return action;
  }
}

/** Counts every Subscription reachable from `root`: a read whose bookkeeping grows per request grows this. */
export function subscriptionTreeSize(root: unknown, seen = new Set<unknown>()): number {
  if (!(root instanceof Subscription) || seen.has(root)) return 0;
  seen.add(root);
  // rxjs 7 keeps child subscriptions and teardowns in `_finalizers`; reading it is test-only.
  const finalizers = (root as unknown as { _finalizers?: unknown[] | null })._finalizers ?? [];
  let size = 1;
  for (const child of finalizers) size += subscriptionTreeSize(child, seen);
  const destination = (root as unknown as { destination?: unknown }).destination;
  return size + subscriptionTreeSize(destination, seen);
}
