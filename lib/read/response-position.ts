import { ParseError } from '../errors/client-errors.js';
import { Header, isTrueFlag } from '../protocol/headers.js';
import type { Offset } from '../protocol/offset.js';
import type { StreamPosition } from '../protocol/position.js';
import type { HttpHeaders } from '../transport/http-transport.js';

/**
 * Reads the position headers of a 2xx read response. Pure. A 204 (long-poll
 * timeout) is up to date by definition; `Stream-Closed` implies up to date,
 * and may come without a cursor (PROTOCOL.md 5.6, 5.7). Without
 * `Stream-Next-Offset` the read cannot continue, so that is a `ParseError`.
 */
export function responsePosition(status: number, headers: HttpHeaders, url: string, requestedOffset: Offset): StreamPosition {
  const offset = headers.get(Header.nextOffset);
  if (!offset) {
    throw new ParseError({ url, offset: requestedOffset, status, what: 'The read response has no Stream-Next-Offset header' });
  }
  const closed = isTrueFlag(headers.get(Header.closed));
  return {
    offset,
    cursor: headers.get(Header.cursor) ?? undefined,
    upToDate: closed || status === 204 || isTrueFlag(headers.get(Header.upToDate)),
    closed,
  };
}
