import { isPlatformServer } from '@angular/common';
import { inject, NgZone, PendingTasks, PLATFORM_ID } from '@angular/core';
import { Observable } from 'rxjs';
import type { DurableStreamsClientOptions } from '../index.js';

type ReadDecorator = NonNullable<DurableStreamsClientOptions['ɵdecorateRead']>;

/** Connection states that end a catch-up: up to date, at EOF, or failing (a render does not wait out retries). */
const PAST_CATCH_UP: ReadonlySet<string> = new Set(['live', 'closed', 'reconnecting', 'offline']);

/**
 * @internal The reads of the client `provideDurableStreams()` makes, as `HttpClient`'s requests are:
 * - catching up is pending work (`PendingTasks`): the app is not stable until the read is up to date, at EOF, failed
 *   or retrying, so a server render waits for the data and `whenStable()` for the catch-up;
 * - during a server render, a read catches up and completes: it never goes live;
 * - in the browser, a live read leaves stability once caught up, and runs outside the Angular zone, so its sockets
 *   and timers never keep a zone.js app unstable; what it tells re-enters the zone it was subscribed in.
 * Made in the provider's injection context; undefined outside an application (an environment injector without a
 * root, as unit tests make), where reads stay as they are.
 */
export function pendingReads(): ReadDecorator | undefined {
  const tasks = inject(PendingTasks, { optional: true });
  const zone = inject(NgZone, { optional: true });
  if (!tasks || !zone) return undefined;
  const server = isPlatformServer(inject(PLATFORM_ID));
  return (options, read) =>
    new Observable((subscriber) => {
      const done = tasks.add();
      let pending = true;
      const settle = () => {
        if (!pending) return;
        pending = false;
        done();
      };
      const inZone = NgZone.isInAngularZone();
      const tell = (what: () => void) => (inZone ? zone.run(what) : what());
      const observer = options.connectionState;
      const decorated = {
        ...options,
        ...(server ? { live: false } : {}),
        connectionState: {
          next: (state: { readonly status: string }) => {
            if (observer) tell(() => observer.next(state));
            if (PAST_CATCH_UP.has(state.status)) settle();
          },
        },
      };
      const subscription = zone.runOutsideAngular(() =>
        read(decorated).subscribe({
          next: (chunk) => {
            tell(() => subscriber.next(chunk));
            if (chunk.upToDate) settle();
          },
          error: (error: unknown) => (tell(() => subscriber.error(error)), settle()),
          complete: () => (tell(() => subscriber.complete()), settle()),
        }),
      );
      return () => (subscription.unsubscribe(), settle());
    });
}
