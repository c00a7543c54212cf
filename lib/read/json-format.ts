import { decodeBase64 } from './base64.js';
import { parseJsonArray } from './json-array-text.js';
import type { PayloadFormat } from './payload-format.js';

const NO_ITEMS: readonly never[] = Object.freeze([]);
const utf8 = new TextDecoder();

/**
 * Payloads as JSON messages: what `readJson()` emits. A response body
 * is read with `text()` and parsed once, with no copy in between: catch-up
 * of a JSON stream is the hot path. SSE data events carry one JSON array
 * each; their items are concatenated.
 */
export function jsonFormat<T>(): PayloadFormat<readonly T[]> {
  return {
    isEmpty: (payload) => payload.length === 0,
    fromBody: async (body, { url, at }) => parseJsonArray<T>(await body.text(), url, at),
    none: () => NO_ITEMS,
    fromSse: (data, encoding, { url, at }) => {
      if (data.length === 0) return NO_ITEMS;
      const parse = (text: string) =>
        parseJsonArray<T>(encoding === 'base64' ? utf8.decode(decodeBase64(text, url, at)) : text, url, at);
      if (data.length === 1) return parse(data[0]);
      const items: T[] = [];
      for (const text of data) for (const item of parse(text)) items.push(item);
      return items;
    },
  };
}
