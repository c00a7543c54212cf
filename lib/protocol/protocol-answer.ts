import { Header, WriteHeader } from './headers.js';

/** Operations whose success answer carries protocol headers that say it came from a Durable Streams server. */
export type AnsweredOperation = 'read' | 'head' | 'create' | 'append' | 'close' | 'producer-append';

/** What {@link missingProtocolHeaders} reads of an answer. */
export interface AnswerHeaders {
  get(name: string): string | null;
}

/**
 * Whether a 2xx answer to `operation` is the protocol's answer, or something
 * else that happens to say 200: a wrong base URL on a catch-all route, an
 * SPA's fallback page, a proxy's own page. Pure. Returns what is missing (for
 * the error message), or `undefined` for a protocol answer.
 *
 * Every success of these operations carries `Stream-Next-Offset`
 * (PROTOCOL.md 5.1-5.4, 5.6, 5.8), with one exception: an idempotent
 * producer's duplicate (204) carries `Producer-Epoch` and `Producer-Seq`
 * instead (5.2.1). SSE answers carry their offsets in control events and are
 * checked there. Nothing about such an answer may be taken as an
 * acknowledgement: the caller fails it with a `ProtocolError`.
 */
export function missingProtocolHeaders(
  operation: AnsweredOperation,
  status: number,
  headers: AnswerHeaders,
): string | undefined {
  if (has(headers, Header.nextOffset)) return undefined;
  if (
    operation === 'producer-append' &&
    status === 204 &&
    has(headers, WriteHeader.producerEpoch) &&
    has(headers, WriteHeader.producerSeq)
  )
    return undefined;
  return operation === 'producer-append'
    ? 'Stream-Next-Offset (or, on a duplicate, Producer-Epoch and Producer-Seq)'
    : 'Stream-Next-Offset';
}

const has = (headers: AnswerHeaders, name: string): boolean => (headers.get(name) ?? '') !== '';
