import type { DurableStream, HttpBody, HttpHeaders } from '../../index.js';

/**
 * The protocol's wire shapes, as the testing backend answers with them:
 * pure functions, so the SDK's real read and append paths parse what a
 * server would send.
 */

/** What a test pushes to a read: JSON messages (an array), text, or bytes. */
export type PushedData = readonly unknown[] | string | Uint8Array;

/** A payload ready to send: its bytes, content type, and how far it moves the offset (messages or bytes). */
export interface EncodedPayload {
  readonly bytes: Uint8Array;
  readonly text: string | undefined;
  readonly contentType: string;
  readonly length: number;
}

const encoder = new TextEncoder();

export function encodePayload(data: PushedData): EncodedPayload {
  if (typeof data === 'string')
    return { bytes: encoder.encode(data), text: data, contentType: 'text/plain', length: encoder.encode(data).length };
  if (data instanceof Uint8Array)
    return { bytes: data, text: undefined, contentType: 'application/octet-stream', length: data.length };
  const text = JSON.stringify(data);
  return { bytes: encoder.encode(text), text, contentType: 'application/json', length: data.length };
}

/** Offsets the testing backend mints: zero-padded counters, so they sort as they grow. */
export function formatOffset(position: number): string {
  return position.toString().padStart(16, '0');
}

/** The position headers of a catch-up or long-poll answer (PROTOCOL.md 5.6, 5.7). */
export function readHeaders(
  offset: string,
  position: { readonly upToDate: boolean; readonly closed: boolean },
  contentType: string,
): Record<string, string> {
  return {
    'content-type': contentType,
    'stream-next-offset': offset,
    ...(position.upToDate || position.closed ? { 'stream-up-to-date': 'true' } : {}),
    ...(position.closed ? { 'stream-closed': 'true' } : {}),
  };
}

/** One SSE `data` event and its `control` event (PROTOCOL.md 5.8). */
export function sseFrames(
  payload: EncodedPayload | undefined,
  offset: string,
  position: { readonly upToDate: boolean; readonly closed: boolean },
): string {
  const data = payload && payload.length > 0 ? `event: data\n${lines(payload.text ?? '')}\n\n` : '';
  const control = JSON.stringify({
    streamNextOffset: offset,
    upToDate: position.upToDate || position.closed,
    ...(position.closed ? { streamClosed: true } : {}),
  });
  return `${data}event: control\ndata: ${control}\n\n`;
}

const lines = (text: string) =>
  text
    .split('\n')
    .map((line) => `data: ${line}`)
    .join('\n');

export function headersOf(record: Readonly<Record<string, string>>): HttpHeaders {
  const lower = Object.fromEntries(Object.entries(record).map(([name, value]) => [name.toLowerCase(), value]));
  return { get: (name) => lower[name.toLowerCase()] ?? null, entries: () => Object.entries(lower) };
}

/** A body at hand; `consumed` runs once the SDK has read or discarded it. */
export function bodyOf(bytes: Uint8Array, consumed: () => void): HttpBody {
  const take = <T>(value: T) => (consumed(), value);
  return {
    bytes: async () => take(bytes),
    text: async () => take(new TextDecoder().decode(bytes)),
    stream: async function* () {
      try {
        if (bytes.length > 0) yield bytes;
      } finally {
        consumed();
      }
    },
    dump: async () => take(undefined),
  };
}

/** The stream as a test names it (a handle: its URL exactly; a path or URL), against a request URL (query ignored). */
export function isOnStream(url: string, stream: DurableStream | string): boolean {
  const bare = url.split('?')[0];
  if (typeof stream !== 'string') return bare === stream.url;
  const name = stream.replace(/^\/+/, '');
  return bare === stream || bare.endsWith(`/${name}`);
}

/** The stream as a message names it: a handle by its URL. */
export function nameOf(stream: DurableStream | string): string {
  return typeof stream === 'string' ? stream : stream.url;
}
