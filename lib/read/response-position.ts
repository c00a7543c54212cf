import { notProtocolAnswer } from '../errors/protocol-error.js';
import { Header, isTrueFlag } from '../protocol/headers.js';
import type { Offset } from '../protocol/offset.js';
import type { StreamPosition } from '../protocol/position.js';
import type { HttpHeaders } from '../transport/http-transport.js';

/**
 * Reads the position headers of a 2xx read response. Pure. A 204 (long-poll
 * timeout) is up to date by definition; `Stream-Closed` implies up to date,
 * and may come without a cursor (PROTOCOL.md 5.6, 5.7). Without
 * `Stream-Next-Offset` it is not the protocol's answer (a wrong base URL, an
 * app's fallback page) and the read cannot continue: a `ProtocolError`.
 */
export function responsePosition(
  status: number,
  headers: HttpHeaders,
  url: string,
  requestedOffset: Offset,
): StreamPosition {
  // What `missingProtocolHeaders` asks of a read's answer, without the writes' exceptions (a read carries none of them).
  const offset = headers.get(Header.nextOffset);
  if (!offset)
    throw notProtocolAnswer({
      url,
      status,
      contentType: headers.get(Header.contentType),
      missing: 'Stream-Next-Offset',
      offset: requestedOffset,
    });
  const closed = isTrueFlag(headers.get(Header.closed));
  return {
    offset,
    cursor: headers.get(Header.cursor) ?? undefined,
    upToDate: closed || status === 204 || isTrueFlag(headers.get(Header.upToDate)),
    closed,
  };
}
