import type { Observable } from 'rxjs';

/** What a {@link ReadDecorator} sees of a read's options, and may change. */
export interface DecoratedReadOptions {
  /** The read's live mode: `false` catches up and completes. */
  readonly live?: unknown;
  /** Told the read's connection states (`status`: `'connecting'`, `'catching-up'`, `'live'`, ...). */
  readonly connectionState?: { next(state: { readonly status: string }): void };
}

/**
 * Internal, set by the Angular provider (`provideDurableStreams()`) on the
 * client it makes: wraps every read of that client, as `HttpClient` wraps its
 * requests (pending work until caught up; reads of a server render that end
 * once caught up). `read` starts the read with the options given, the
 * caller's or changed ones; every chunk says whether the read is up to date.
 */
export type ReadDecorator = <O extends DecoratedReadOptions, C extends { readonly upToDate: boolean }>(
  options: O,
  read: (options: O) => Observable<C>,
) => Observable<C>;
