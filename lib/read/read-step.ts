import type { Observable } from 'rxjs';
import type { DynamicRecord } from '../http/dynamic-values.js';
import type { Offset } from '../protocol/offset.js';

/**
 * The seam between the read composition and I/O. The composition decides
 * which request comes next; an {@link OpenRequest} function performs it.
 * Tests pass a fake one to drive the composition in virtual time.
 */

/** Which kind of request: a plain read (catch-up), a long-poll, or an SSE connection. */
export type ReadRequestKind = 'catch-up' | 'long-poll' | 'sse';

/** One request the composition asks for. */
export interface ReadRequest {
  readonly kind: ReadRequestKind;
  readonly offset: Offset;
  /** The last cursor seen; sent on live requests only (catch-up URLs stay cache-friendly). */
  readonly cursor: string | undefined;
  /** The read's headers and params, with any `onError` overrides merged over them. */
  readonly headers: DynamicRecord | undefined;
  readonly params: DynamicRecord | undefined;
}

/** What one response, or one SSE control event with its data events, tells. */
export interface ReadStep<P> {
  readonly payload: P;
  readonly offset: Offset;
  readonly cursor: string | undefined;
  readonly upToDate: boolean;
  readonly closed: boolean;
}

/**
 * Performs one request as a cold Observable: a catch-up or long-poll request
 * emits one step and completes; an SSE connection emits a step per control
 * event and completes when the server ends it. Unsubscribing aborts.
 */
export type OpenRequest<P> = (request: ReadRequest) => Observable<ReadStep<P>>;
