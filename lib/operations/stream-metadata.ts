import { Header, isTrueFlag, parseIntegerHeader, WriteHeader } from '../protocol/headers.js';
import type { HttpHeaders } from '../transport/http-transport.js';

/** What `headStream()` reports about a stream. */
export interface StreamMetadata {
  /** The tail: the offset the next append will be written at. */
  readonly nextOffset: string;
  /** The stream's content type, when the server sends it. */
  readonly contentType: string | undefined;
  /** Sliding time-to-live, seconds, when set. */
  readonly ttlSeconds: number | undefined;
  /** Absolute expiry (RFC 3339), when set. */
  readonly expiresAt: string | undefined;
  /** Whether the stream is closed (EOF). */
  readonly closed: boolean;
  /** The server's entity tag for the stream's current state, when sent. */
  readonly etag: string | undefined;
}

/** Reads stream metadata from response headers (HEAD, and the PUT/POST replies). */
export function metadataFromHeaders(headers: HttpHeaders): StreamMetadata {
  return {
    nextOffset: headers.get(Header.nextOffset) ?? '',
    contentType: headers.get(Header.contentType) ?? undefined,
    ttlSeconds: parseIntegerHeader(headers.get(WriteHeader.ttl)),
    expiresAt: headers.get(WriteHeader.expiresAt) ?? undefined,
    closed: isTrueFlag(headers.get(Header.closed)),
    etag: headers.get(WriteHeader.etag) ?? undefined,
  };
}
