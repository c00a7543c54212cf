import { learnContentType } from '../operations/head-stream.js';
import { concatBytes } from '../util/bytes.js';
import { joinJsonArrays } from './json-array-text.js';
import type { PayloadFormat } from './payload-format.js';

const NO_BYTES = new Uint8Array(0);
const encoder = new TextEncoder();

/** Payloads as the bytes the server sent: what `readBytes()` emits. */
export function bytesFormat(): PayloadFormat<Uint8Array> {
  return {
    learnContentType,
    isEmpty: (payload) => payload.length === 0,
    fromBody: (body) => body.bytes(),
    none: () => NO_BYTES,
    fromSse: (data, { url, at, jsonStream }) => {
      if ('bytes' in data) return data.bytes.length === 0 ? NO_BYTES : concatBytes(data.bytes);
      if (data.text.length === 0) return NO_BYTES;
      // Text streams' SSE data is the text itself; JSON streams' is one array per event, joined as a response body would be.
      return encoder.encode(jsonStream ? joinJsonArrays(data.text, url, at) : data.text.join(''));
    },
  };
}
