import type { Observable } from 'rxjs';

/** What a shared catch-up needs of a read's options: what keys it, and where its connection states go. */
export interface CatchUpReadOptions {
  readonly headers?: unknown;
  readonly params?: unknown;
  readonly onError?: unknown;
  readonly connectionState?: { next(state: never): void } | undefined;
}

/** What a {@link CatchUpShare} knows of a live read: its stream, what it decodes, its resolved options, its loop. */
export interface SharedCatchUpRead<F, T, O extends CatchUpReadOptions> {
  readonly url: string;
  readonly payload: string;
  readonly options: O;
  /** One loop of the read's requests with `options`, decoding with `format`. */
  loop(format: F, options: O): Observable<T>;
}

/**
 * Internal: one client's catch-ups in flight (see `sharedCatchUps()`): a live read's catch-up (its steps until up to
 * date or closed), decoded with `format`, shared with the reads that have its key; `tell` hears its connection
 * states, whether the read shares a catch-up another read opened or runs its own.
 */
export type CatchUpShare = <
  F,
  T extends { readonly upToDate: boolean; readonly closed: boolean },
  O extends CatchUpReadOptions,
>(
  read: SharedCatchUpRead<F, T, O>,
  format: F,
  tell: (state: Parameters<NonNullable<O['connectionState']>['next']>[0]) => void,
) => Observable<T>;

/**
 * How a client's live reads catch up, given as its `catchUps` option: by
 * default each read on its own requests; with `sharedCatchUps()`, reads of one
 * stream from one offset share one catch-up in flight. Made by
 * `sharedCatchUps()`; the client calls it once, for the catch-ups in flight of
 * its own reads (a value given to two clients shares nothing between them).
 */
export interface CatchUpSharing {
  /** Called once by the client it is given to: the catch-ups in flight of that client (internal shape). */
  (): CatchUpShare;
}
