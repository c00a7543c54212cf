import type { ErrorMapper } from '../errors/error-from-response.js';
import { withQuery, type QueryParams } from '../protocol/url.js';
import type { OutgoingRequest } from '../transport/exchange.js';
import type { HttpRequest } from '../transport/http-transport.js';
import type { DynamicRecord } from './dynamic-values.js';

/** A request as an operation describes it, before dynamic headers and params. */
export interface RequestSpec {
  readonly method: HttpRequest['method'];
  readonly url: string;
  readonly query?: QueryParams;
  /** Protocol headers; they win over user headers. Lower-case names. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Uint8Array | string;
  /** Per-call user headers and params, layered over the client's. */
  readonly userHeaders?: DynamicRecord;
  readonly userParams?: DynamicRecord;
  /** Overrides the client's header timeout (long-poll waits longer). */
  readonly timeoutMs?: number;
  /** Overrides the client's body timeout, the longest silence within the body (an SSE connection's is its idle timeout). */
  readonly bodyTimeoutMs?: number;
  /** See {@link HttpRequest.lane}. */
  readonly lane?: string;
  /**
   * Maps an error response to its typed error; default `commonErrorFromResponse`.
   * Writes bring `errorFromResponse` (the flavours only a write meets), and
   * extensions whose errors are told apart by their body (subscriptions'
   * JSON `error.code`) their own.
   */
  readonly errorFrom?: ErrorMapper;
  /** See {@link HttpRequest.longLived}. */
  readonly longLived?: boolean;
}

/** The request to send: the spec's protocol headers and query over the user's resolved ones. */
export function outgoing(
  spec: RequestSpec,
  userHeaders: Record<string, string>,
  userParams: Record<string, string>,
): OutgoingRequest {
  return {
    method: spec.method,
    url: withQuery(spec.url, { ...userParams, ...spec.query }),
    headers: { ...userHeaders, ...spec.headers },
    ...(spec.body === undefined ? {} : { body: spec.body }),
    ...(spec.lane === undefined ? {} : { lane: spec.lane }),
    ...(spec.longLived ? { longLived: true } : {}),
  };
}
