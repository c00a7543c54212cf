import { createParser } from 'eventsource-parser';
import { Observable, type OperatorFunction } from 'rxjs';
import type { Offset } from '../protocol/offset.js';
import { initialSseState, reduceSse, type SseFrame, type SseMessage } from './sse-events.js';

/**
 * Turns the bytes of one SSE response into frames: UTF-8 decoded as a
 * stream (a character may be split between network chunks), parsed by
 * `eventsource-parser`, folded by the pure {@link reduceSse}. An event left
 * incomplete when the body ends is dropped, as the SSE standard says; the
 * read resumes from the last control offset, so nothing is lost.
 */
export function sseFrames(url: string, startOffset: Offset): OperatorFunction<Uint8Array, SseFrame> {
  return (source) =>
    new Observable<SseFrame>((subscriber) => {
      const decoder = new TextDecoder();
      const parsed: SseMessage[] = [];
      // Unknown fields and bad `retry` values are ignored, as the SSE standard requires.
      const parser = createParser({ onEvent: (message) => parsed.push(message) });
      let state = initialSseState(startOffset);

      const feed = (text: string): boolean => {
        parser.feed(text);
        try {
          for (const message of parsed) {
            const result = reduceSse(state, message, url);
            state = result.state;
            if (result.frame) subscriber.next(result.frame);
            if (subscriber.closed) break;
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
