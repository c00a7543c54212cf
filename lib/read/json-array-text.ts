import { ParseError } from '../errors/client-errors.js';
import type { Offset } from '../protocol/offset.js';

/**
 * Parses one response (or SSE data event) of a JSON stream: a JSON array of
 * messages (PROTOCOL.md 9.1). One `JSON.parse` per response: this is the
 * catch-up hot path. An empty body counts as no messages.
 */
export function parseJsonArray<T>(text: string, url: string, at: Offset): T[] {
  if (text.length === 0) return [];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new ParseError({ url, offset: at, cause, what: 'Malformed JSON in a read of a JSON stream' });
  }
  if (!Array.isArray(value)) {
    throw new ParseError({ url, offset: at, what: `A JSON stream's read returned ${typeof value}, not a JSON array` });
  }
  return value as T[];
}

/**
 * Joins the JSON array texts of several SSE data events into one array text,
 * as a catch-up response would carry them: `[1]`, `[2,3]` give `[1,2,3]`.
 * Text only, no parse: for byte and text reads of JSON streams.
 */
export function joinJsonArrays(texts: readonly string[], url: string, at: Offset): string {
  if (texts.length === 1) return texts[0];
  const inner: string[] = [];
  for (const text of texts) {
    const trimmed = text.trim();
    if (!trimmed.startsWith('[') || !trimmed.endsWith(']')) {
      throw new ParseError({ url, offset: at, what: 'An SSE data event of a JSON stream is not a JSON array' });
    }
    const body = trimmed.slice(1, -1).trim();
    if (body !== '') inner.push(body);
  }
  return `[${inner.join(',')}]`;
}
