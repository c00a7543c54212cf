import { PlatformLocation } from '@angular/common';
import { inject, InjectionToken, makeStateKey, REQUEST_CONTEXT, TransferState } from '@angular/core';
import type { LiveMode } from 'durable-streams-rx';

/** Where the feed reads from. */
export interface FeedConfig {
  /** The Durable Streams server's origin; streams live under `/v1/stream/`. */
  readonly server: string;
  /** The stream's path: `?stream=feed` in the page's URL. */
  readonly stream: string;
  /** How to tail the stream once caught up: `?live=sse|long-poll|auto`. */
  readonly live: Exclude<LiveMode, false>;
  /** What the page shows: the feed and its compose box, or (`?view=todos`) a todo list edited with optimistic mutations. */
  readonly view: 'feed' | 'todos';
}

/** What the server side of the app is given per request (server.ts): the streams server it reaches. */
export interface FeedRequestContext {
  readonly streamsOrigin: string;
}

const SERVER_KEY = makeStateKey<string>('feed:streams-origin');

/**
 * The page's query picks the stream, the live mode and the view; the streams server is
 * the server's to choose (server.ts, from STREAMS_URL), never the query's: a
 * page that let the URL pick where the server sends requests would forward
 * them wherever a link says. The browser learns it from the server's render.
 */
export function feedConfig(search: string, server: string): FeedConfig {
  const params = new URLSearchParams(search);
  const live = params.get('live');
  const stream = params.get('stream') ?? 'feed';
  return {
    server: server.replace(/\/+$/, ''),
    // A plain path below /v1/stream/, nothing that could point elsewhere.
    stream: /^[\w.-]+(\/[\w.-]+)*$/.test(stream) ? stream : 'feed',
    live: live === 'sse' || live === 'long-poll' ? live : 'auto',
    view: params.get('view') === 'todos' ? 'todos' : 'feed',
  };
}

export const FEED_CONFIG = new InjectionToken<FeedConfig>('FEED_CONFIG', {
  providedIn: 'root',
  factory: () => {
    const state = inject(TransferState);
    const context = inject(REQUEST_CONTEXT, { optional: true }) as FeedRequestContext | null;
    if (context) state.set(SERVER_KEY, context.streamsOrigin);
    return feedConfig(inject(PlatformLocation).search, state.get(SERVER_KEY, 'http://127.0.0.1:4437'));
  },
});
