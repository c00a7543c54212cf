import type { learnContentType } from '../operations/head-stream.js';
import type { Offset } from '../protocol/offset.js';
import type { HttpBody } from '../transport/http-transport.js';

/**
 * One SSE frame's data events: their text, or, on a stream whose SSE data is
 * base64 (the `stream-sse-data-encoding` header: binary streams), the bytes
 * they decode to (decoded by the SSE code, so a format carries no base64).
 */
export type SseData = { readonly text: readonly string[] } | { readonly bytes: readonly Uint8Array[] };

/** What a format needs to know about the payload it decodes. */
export interface PayloadContext {
  readonly url: string;
  /** The offset the payload starts at: named in a `ParseError`. */
  readonly at: Offset;
  /** This payload ends the stream: stateful decoders flush. */
  readonly closed: boolean;
  /** The stream is `application/json`: SSE data events are JSON array texts. */
  readonly jsonStream: boolean;
}

/**
 * How a read turns responses into payloads: bytes, text or JSON items. A
 * format may hold state across the responses of one read (text decoding),
 * so each read subscription makes its own.
 */
export interface PayloadFormat<P> {
  /**
   * How the format learns the stream's content type, where decoding SSE needs it
   * (byte and text reads: a JSON stream's data events are arrays); absent where it does not (JSON reads).
   */
  readonly learnContentType?: typeof learnContentType;
  readonly isEmpty: (payload: P) => boolean;
  /** The payload of a 200 response body. */
  fromBody(body: HttpBody, context: PayloadContext): Promise<P>;
  /** The payload of a response without a body (a 204). */
  none(context: PayloadContext): P;
  /**
   * The payload of one SSE frame's data events. Absent in the JSON format, whose payload is the items of the JSON
   * array each event carries: the code of SSE connections parses them (`jsonItemsOfSse`), so a read that never
   * goes live over SSE carries none of it.
   */
  readonly fromSse?: ((data: SseData, context: PayloadContext) => P) | undefined;
}
