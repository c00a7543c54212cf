import type { ParseError } from '../errors/client-errors.js';
import type { Offset } from '../protocol/offset.js';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes one SSE `data` payload of a binary stream (PROTOCOL.md 5.8): the
 * line breaks between its `data:` lines are removed first; what remains must
 * be standard base64 of a length divisible by 4. `atob` keeps this free of
 * Node's Buffer, for browsers. `ParseError` is lent: this code loads in the
 * lazy chunk of live reads (live-code.ts).
 */
export function decodeBase64(
  text: string,
  url: string,
  at: Offset,
  errors: { readonly ParseError: typeof ParseError },
): Uint8Array {
  const clean = text.includes('\n') || text.includes('\r') ? text.replace(/[\r\n]/g, '') : text;
  if (clean.length % 4 !== 0 || !BASE64.test(clean)) {
    throw new errors.ParseError({
      url,
      offset: at,
      what: `Malformed base64 in an SSE data event (${clean.length} characters)`,
    });
  }
  const binary = atob(clean);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
