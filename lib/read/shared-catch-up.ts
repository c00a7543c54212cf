import { defer, Observable, ReplaySubject, share, takeWhile, tap } from 'rxjs';
import type { CatchUpReadOptions, CatchUpShare, CatchUpSharing, SharedCatchUpRead } from '../http/catch-up-sharing.js';

/** A catch-up in flight that reads may still join: its connection states (the latest replayed), its steps (shared), and its key. */
type InFlight = readonly [ReplaySubject<unknown>, Observable<unknown>, string];

/**
 * A read's catch-up under `key` (its own where `key` is undefined): see {@link catchUpsInFlight}. `open` makes the
 * requests, telling their connection states to the observer it is given; `tell` hears them.
 */
export type KeyedCatchUp = <T, S>(
  key: string | undefined,
  open: (states: { next(state: S): void }) => Observable<T>,
  tell: (state: S) => void,
) => Observable<T>;

/**
 * Live reads of one stream from one offset that start together share one
 * catch-up in flight, for a client made with this option:
 *
 * ```ts
 * const client = new DurableStreamsClient({ baseUrl, transport: undiciTransport(), catchUps: sharedCatchUps() });
 * // Or with the default transport: new DurableStreamsClient({ baseUrl, catchUps: sharedCatchUps() })
 * ```
 *
 * Live reads of the same stream through that client, from the same offset,
 * with the same options (not those whose own options carry `headers`,
 * `params` or `onError`, nor `consume()`'s, nor `live: false` reads), that
 * subscribe before the first of them has had its first step, share its
 * requests, body and parse, and are told its connection states; the last
 * one out aborts them. Without the option each read catches up on its own
 * requests (they share the live tail after, either way).
 *
 * Meant for Node services with many readers of few streams (10 000 readers
 * over 1 000 streams: RSS grew 195-258 MiB instead of 453-558 in the runs
 * docs/performance.md records); a browser app
 * has a few readers, and leaves it out (none of this code is then in its
 * bundle). See docs/many-reads.md.
 */
export function sharedCatchUps(): CatchUpSharing {
  return (): CatchUpShare => {
    const share = catchUpsInFlight();
    return (read, format, tell) =>
      share(
        catchUpKey(read),
        (states) =>
          read
            .loop(format, { ...read.options, connectionState: states })
            .pipe(takeWhile((step) => !step.upToDate && !step.closed, true)),
        tell,
      );
  };
}

/**
 * What a live read shares its catch-up in flight by: its stream, what it decodes, and its resolved options (where it
 * starts among them); none for a read whose requests carry headers, params or an `onError` of its own (functions a
 * key could only tell by identity).
 */
function catchUpKey({
  url,
  payload,
  options,
}: SharedCatchUpRead<unknown, unknown, CatchUpReadOptions>): string | undefined {
  if (options.headers || options.params || options.onError) return undefined;
  return `${payload}\n${url}\n${JSON.stringify({ ...options, connectionState: undefined })}`;
}

/**
 * The catch-ups in flight of one client (the read path's part of its runtime
 * keeps them), by key: reads of the same stream, from the same offset, with
 * the same requests. The first read starts its catch-up; every read with its
 * key that subscribes before that catch-up's first step joins it (one request
 * chain, one body, one parse, the same steps for all) and hears its connection
 * states, the latest at once. At its first step a catch-up takes no one new (a
 * reader coming later would miss that step: it reads on its own, and a later
 * one may join it). One that leaves drops its share only; the last one out
 * aborts the requests. Cold and lazy: nothing runs before a subscription.
 */
export function catchUpsInFlight(): KeyedCatchUp {
  const running = new Map<string, InFlight>();
  const start = (key: string, open: (states: { next(state: unknown): void }) => Observable<unknown>): InFlight => {
    // Forgotten at its first step (a read that comes later would miss it), or when it ends.
    const forget = () => running.get(key) === inFlight && running.delete(key);
    const states = new ReplaySubject<unknown>(1);
    const inFlight: InFlight = [states, open(states).pipe(tap({ next: forget, finalize: forget }), share()), key];
    running.set(key, inFlight);
    return inFlight;
  };
  return <T, S>(
    key: string | undefined,
    open: (states: { next(state: S): void }) => Observable<T>,
    tell: (state: S) => void,
  ): Observable<T> => {
    if (key === undefined) return open({ next: tell });
    // The key of the catch-up in flight where there is one: a read keeps no copy of its own while it catches up.
    const shared = running.get(key)?.[2] ?? key;
    return defer(() =>
      joined<T>(
        running.get(shared) ?? start(shared, open as (states: { next(state: unknown): void }) => Observable<unknown>),
        tell as (state: unknown) => void,
      ),
    );
  };
}

/**
 * A read's share of a catch-up in flight: one subscriber for its steps and one for its states (10 000 readers join
 * at once in a fan-out). Apart from the key, which it does not keep (each read made its own).
 */
function joined<T>([states, steps]: InFlight, tell: (state: unknown) => void): Observable<T> {
  return new Observable<T>((subscriber) => {
    subscriber.add(states.subscribe(tell));
    return (steps as Observable<T>).subscribe(subscriber);
  });
}
