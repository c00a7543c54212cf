import { concatBytes } from '../util/bytes.js';
import { decodeBase64 } from './base64.js';
import { joinJsonArrays } from './json-array-text.js';
import type { PayloadContext, PayloadFormat } from './payload-format.js';

/**
 * Payloads as text: what `stream.readText()` emits. One UTF-8 decoder per
 * read, fed with `stream: true`, so a character a writer split across two
 * appends (and so across two responses) comes out whole. That is why bodies
 * are read as bytes here rather than with `text()`, which would decode each
 * response alone. The decoder is flushed at the end of the stream.
 */
export function textFormat(): PayloadFormat<string> {
  // ignoreBOM keeps a U+FEFF that starts a response: a read resumed at it must give what a read from the beginning gives.
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  const decode = (bytes: Uint8Array, context: PayloadContext): string => decoder.decode(bytes, { stream: !context.closed });
  return {
    needsContentType: true,
    isEmpty: (payload) => payload.length === 0,
    fromBody: async (body, context) => decode(await body.bytes(), context),
    none: (context) => (context.closed ? decoder.decode() : ''),
    fromSse: (data, encoding, context) => {
      if (encoding === 'base64') return decode(concatBytes(data.map((text) => decodeBase64(text, context.url, context.at))), context);
      if (data.length === 0) return context.closed ? decoder.decode() : '';
      // SSE text was decoded by the server; flush any bytes pending from an earlier response first.
      return decoder.decode() + (context.jsonStream ? joinJsonArrays(data, context.url, context.at) : data.join(''));
    },
  };
}
