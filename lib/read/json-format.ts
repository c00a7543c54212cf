import { parseJsonArray } from './json-array-text.js';
import type { PayloadFormat } from './payload-format.js';

const NO_ITEMS: readonly never[] = Object.freeze([]);

/**
 * Payloads as JSON messages: what `readJson()` emits. A response body
 * is read with `text()` and parsed once, with no copy in between: catch-up
 * of a JSON stream is the hot path. SSE data events carry one JSON array
 * each; the code of SSE connections parses them (`jsonItemsOfSse`, code of
 * live reads, loaded on demand), so this format has no `fromSse`. It holds no state, so every read
 * shares one instance (one per read made four closures per reader of a fan-out).
 */
export function jsonFormat<T>(): PayloadFormat<readonly T[]> {
  return JSON_FORMAT as PayloadFormat<readonly T[]>;
}

const JSON_FORMAT: PayloadFormat<readonly unknown[]> = {
  isEmpty: (payload) => payload.length === 0,
  fromBody: async (body, { url, at }) => parseJsonArray(await body.text(), url, at),
  none: () => NO_ITEMS,
};
