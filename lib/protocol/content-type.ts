/** How a stream's messages are framed on the wire (PROTOCOL.md 9.1): a JSON array per request, or plain bytes. */
export type Framing = 'json' | 'bytes';

/** Lower-cases a media type and drops parameters, for comparison. */
export function mediaType(contentType: string | undefined): string | undefined {
  return contentType?.split(';', 1)[0]?.trim().toLowerCase() || undefined;
}

/** JSON mode (PROTOCOL.md 9.1) applies to exactly `application/json`, parameters aside, as the server decides. */
export function isJsonContentType(contentType: string | undefined): boolean {
  return mediaType(contentType) === 'application/json';
}

/** The framing of a stream with this content type. */
export function framingOf(contentType: string): Framing {
  return isJsonContentType(contentType) ? 'json' : 'bytes';
}
