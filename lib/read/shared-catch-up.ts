import { Observable, takeWhile, type Observer, type Subscriber, type Subscription, type Unsubscribable } from 'rxjs';
import type { CatchUpReadOptions, CatchUpShare, CatchUpSharing, SharedCatchUpRead } from '../http/catch-up-sharing.js';

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
  return <T, S>(
    key: string | undefined,
    open: (states: { next(state: S): void }) => Observable<T>,
    tell: (state: S) => void,
  ): Observable<T> => {
    if (key === undefined) return open({ next: tell });
    // The key of the catch-up in flight where there is one: a read keeps no copy of its own while it catches up.
    const shared = running.get(key)?.key ?? key;
    // One subscriber per read (10 000 readers join at once in a fan-out): no operator, no Subject subscription.
    return new Observable<T>((subscriber) =>
      (running.get(shared) ?? new InFlight(shared, running, open)).join(subscriber, tell as (state: unknown) => void),
    );
  };
}

type InFlightOpen = (states: { next(state: unknown): void }) => Observable<unknown>;

/**
 * A catch-up in flight that reads may still join (until its first step): one subscription to its requests, its
 * readers, and the latest connection state it told (told at once to a read that joins).
 */
class InFlight implements Observer<unknown> {
  private readonly readers: Share[] = [];
  private readonly source: Observable<unknown>;
  private running: Subscription | undefined;
  private started = false;
  private told = false;
  private latest: unknown;

  constructor(
    readonly key: string,
    private readonly registry: Map<string, InFlight>,
    open: InFlightOpen,
  ) {
    // Its connection states go to every reader, and the latest is kept for the next one.
    this.source = open({
      next: (state) => {
        this.told = true;
        this.latest = state;
        for (const reader of this.readers.slice()) reader.tell(state);
      },
    });
    registry.set(key, this);
  }

  join(subscriber: Subscriber<unknown>, tell: (state: unknown) => void): Share {
    const share = new Share(this, subscriber, tell);
    this.readers.push(share);
    if (this.told) tell(this.latest);
    if (!this.started) {
      this.started = true;
      const running = this.source.subscribe(this);
      // Every read left (or the catch-up ended) while it was subscribing.
      if (this.readers.length === 0) running.unsubscribe();
      else this.running = running;
    }
    return share;
  }

  /** A read left: the last one out aborts the requests. */
  leave(share: Share): void {
    const at = this.readers.indexOf(share);
    if (at < 0) return;
    this.readers.splice(at, 1);
    if (this.readers.length > 0) return;
    this.forget();
    const { running } = this;
    this.running = undefined;
    running?.unsubscribe();
  }

  next(step: unknown): void {
    // A read that comes later would miss this step: it reads on its own.
    this.forget();
    for (const reader of this.readers.slice()) reader.subscriber.next(step);
  }

  error(error: unknown): void {
    this.forget();
    for (const reader of this.readers.splice(0)) reader.subscriber.error(error);
  }

  complete(): void {
    this.forget();
    for (const reader of this.readers.splice(0)) reader.subscriber.complete();
  }

  private forget(): void {
    if (this.registry.get(this.key) === this) this.registry.delete(this.key);
  }
}

/** One read's share of a catch-up in flight; unsubscribing it leaves. */
class Share implements Unsubscribable {
  constructor(
    private readonly inFlight: InFlight,
    readonly subscriber: Subscriber<unknown>,
    readonly tell: (state: unknown) => void,
  ) {}

  unsubscribe(): void {
    this.inFlight.leave(this);
  }
}
