import { DurableStreamError, type DurableStreamErrorInit } from '../errors/durable-stream-error.js';

/** Why SSE did not work on this connection. */
export type SseUnavailableReason = 'content-type' | 'no-event' | 'ended-early' | 'not-loaded';

const WHAT: Record<SseUnavailableReason, string> = {
  'content-type': 'The server answered the SSE request without text/event-stream',
  'no-event': 'No SSE event arrived in time (a proxy may be buffering the response)',
  'ended-early': 'The SSE connection ended before its first event',
  'not-loaded': "The SSE code failed to load (a lazy chunk of the app's bundle; a deployment may have replaced it)",
};

/**
 * SSE does not get through to this server. With `live: 'auto'` the read
 * switches to long-poll instead and this error is never seen; with
 * `live: 'sse'` it surfaces (after retries, for the transient reasons).
 */
export class SseUnavailableError extends DurableStreamError {
  override name = 'SseUnavailableError';
  /** Why SSE could not be used: see {@link SseUnavailableReason}. */
  readonly reason: SseUnavailableReason;
  constructor(init: DurableStreamErrorInit & { readonly reason: SseUnavailableReason }) {
    super('SSE_UNAVAILABLE', WHAT[init.reason], {
      hint: "Read with live: 'auto' (falls back to long-poll) or live: 'long-poll'",
      ...init,
    });
    this.reason = init.reason;
  }
  /** A wrong content type will not change, nor will a chunk that failed to load; silence or an early end may be a blip. */
  override get isRetryable(): boolean {
    return this.reason !== 'content-type' && this.reason !== 'not-loaded';
  }
}
