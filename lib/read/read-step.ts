import type { Observable } from 'rxjs';
import type { DynamicRecord } from '../http/dynamic-values.js';
import type { Checkpoint } from '../protocol/offset.js';
import type { StreamPosition } from '../protocol/position.js';

/**
 * The seam between the read composition and I/O. The composition decides
 * which request comes next; an {@link OpenRequest} function performs it.
 * Tests pass a fake one to drive the composition in virtual time.
 */

/** Which kind of request: a plain read (catch-up), a long-poll, or an SSE connection. */
export type ReadRequestKind = 'catch-up' | 'long-poll' | 'sse';

/**
 * One request the composition asks for: from the read's offset, with the
 * last cursor seen (sent on live requests only, so catch-up URLs stay
 * cache-friendly).
 */
export interface ReadRequest extends Checkpoint {
  readonly kind: ReadRequestKind;
  /** The read's headers and params, with any `onError` overrides merged over them. */
  readonly headers: DynamicRecord | undefined;
  readonly params: DynamicRecord | undefined;
}

/** What one response, or one SSE control event with its data events, tells: a payload, and the position after it. */
export interface ReadStep<P> extends StreamPosition {
  readonly payload: P;
}

/**
 * Performs one request as a cold Observable: a catch-up or long-poll request
 * emits one step and completes; an SSE connection emits a step per control
 * event and completes when the server ends it. Unsubscribing aborts.
 */
export type OpenRequest<P> = (request: ReadRequest) => Observable<ReadStep<P>>;
