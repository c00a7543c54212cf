import type { HttpResponse } from '../../lib/index';

/** An `HttpResponse` held in memory, as a transport double answers: header names looked up lower-case, the body in one chunk (none when empty). */
export function memoryResponse(status: number, headers: Record<string, string> = {}, body = ''): HttpResponse {
  const bytes = new TextEncoder().encode(body);
  return {
    status,
    headers: { get: (name) => headers[name.toLowerCase()] ?? null, entries: () => Object.entries(headers) },
    body: {
      bytes: async () => bytes,
      text: async () => body,
      async *stream() {
        if (bytes.byteLength > 0) yield bytes;
      },
      dump: async () => undefined,
    },
  };
}
