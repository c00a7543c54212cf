import type { parseJsonArray } from './json-array-text.js';
import type { PayloadContext, SseData } from './payload-format.js';

const NO_ITEMS: readonly never[] = Object.freeze([]);
const utf8 = new TextDecoder();

/**
 * The JSON items of one SSE frame's data events (one JSON array each, or their bytes on a base64 stream): the items
 * of each array, in order. What `readJson()` makes of SSE data; code of live reads (the JSON format has no
 * `fromSse`), so `parse` is lent by the read path (`parseJsonArray`: a `ParseError` naming where it starts).
 */
export function jsonItemsOfSse(
  data: SseData,
  { url, at }: PayloadContext,
  parse: typeof parseJsonArray,
): readonly unknown[] {
  const texts = 'bytes' in data ? data.bytes.map((bytes) => utf8.decode(bytes)) : data.text;
  if (texts.length === 0) return NO_ITEMS;
  if (texts.length === 1) return parse(texts[0], url, at);
  const items: unknown[] = [];
  for (const text of texts) for (const item of parse(text, url, at)) items.push(item);
  return items;
}
