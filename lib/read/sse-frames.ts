import { createParser } from 'eventsource-parser';
import { Observable, type OperatorFunction } from 'rxjs';
import type { Offset } from '../protocol/offset.js';
import { initialSseState, reduceSse, type SseErrorTypes, type SseFrame, type SseMessage } from './sse-events.js';

/**
 * The most SSE text (UTF-16 units) held between two control events: data
 * events waiting for theirs, and a line not finished yet. A server sends a
 * control event after every batch (PROTOCOL.md 5.8); one that does not is
 * stopped here rather than allowed to fill the memory.
 */
export const SSE_PENDING_LIMIT = 16 * 1024 * 1024;

/**
 * Turns the bytes of one SSE response into frames: UTF-8 decoded as a
 * stream (a character may be split between network chunks), parsed by
 * `eventsource-parser`, folded by the pure {@link reduceSse}. An event left
 * incomplete when the body ends is dropped, as the SSE standard says; the
 * read resumes from the last control offset, so nothing is lost. More than
 * `pendingLimit` of text without a control event fails with a `ProtocolError`
 * (`errors`: the typed errors, lent by the read path).
 */
export function sseFrames(
  url: string,
  startOffset: Offset,
  errors: SseErrorTypes,
  pendingLimit = SSE_PENDING_LIMIT,
): OperatorFunction<Uint8Array, SseFrame> {
  return (source) =>
    new Observable<SseFrame>((subscriber) => {
      const decoder = new TextDecoder();
      const parsed: SseMessage[] = [];
      // Unknown fields and bad `retry` values are ignored, as the SSE standard requires.
      const parser = createParser({ onEvent: (message) => parsed.push(message) });
      let state = initialSseState(startOffset);
      // Text fed since the last control event: what the parser and the state may be holding.
      let sinceControl = 0;

      const feed = (text: string): boolean => {
        parser.feed(text);
        sinceControl += text.length;
        try {
          for (const message of parsed) {
            const result = reduceSse(state, message, url, errors);
            state = result.state;
            if (result.frame) {
              sinceControl = 0;
              subscriber.next(result.frame);
            }
            if (subscriber.closed) break;
          }
          if (sinceControl > pendingLimit) {
            throw new errors.ProtocolError({
              url,
              offset: state.offset,
              what: `More than ${pendingLimit} characters of SSE data arrived without a control event`,
              hint: 'The server must follow data events with a control event (PROTOCOL.md 5.8); the connection was closed instead of buffering without end',
            });
          }
        } catch (error) {
          subscriber.error(error);
          return false;
        } finally {
          parsed.length = 0;
        }
        return true;
      };

      return source.subscribe({
        next: (bytes) => void feed(decoder.decode(bytes, { stream: true })),
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          if (feed(decoder.decode())) subscriber.complete();
        },
      });
    });
}
