import { InjectionToken } from '@angular/core';
import type { LiveMode } from 'durable-streams-rx';

/** Where the feed reads from: `?server=http://127.0.0.1:4437&stream=feed&live=sse` (all optional). */
export interface FeedConfig {
  /** The Durable Streams server's origin; streams live under `/v1/stream/`. */
  readonly server: string;
  /** The stream's path. */
  readonly stream: string;
  /** How to tail the stream once caught up. */
  readonly live: Exclude<LiveMode, false>;
}

export function feedConfig(search: string): FeedConfig {
  const params = new URLSearchParams(search);
  const live = params.get('live');
  return {
    server: (params.get('server') ?? 'http://127.0.0.1:4437').replace(/\/+$/, ''),
    stream: params.get('stream') ?? 'feed',
    live: live === 'sse' || live === 'long-poll' ? live : 'auto',
  };
}

export const FEED_CONFIG = new InjectionToken<FeedConfig>('FEED_CONFIG', {
  providedIn: 'root',
  factory: () => feedConfig(window.location.search),
});
