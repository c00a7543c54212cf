import { DurableStreamError, type DurableStreamErrorInit } from './durable-stream-error.js';

// Fields set by a constructor are `declare`d, as in DurableStreamError (bundle size).

/**
 * The server's answer breaks the protocol in a way no retry can fix: it is
 * not a Durable Streams answer at all (a 200 without the protocol's headers,
 * from a wrong base URL or an app's fallback page), or a read's offsets do
 * not move forward. Nothing in such an answer is taken as data or as an
 * acknowledgement.
 */
export class ProtocolError extends DurableStreamError {
  override name = 'ProtocolError';
  /** The read's offset when it stopped, for a read. */
  declare readonly offset: string | undefined;
  constructor(init: DurableStreamErrorInit & { readonly offset?: string; readonly what: string }) {
    super('PROTOCOL_ERROR', `${init.what}${init.offset === undefined ? '' : ` (at offset ${init.offset})`}`, init);
    this.offset = init.offset;
  }
}

/** What {@link notProtocolAnswer} says about an answer. */
export interface NotProtocolAnswer {
  readonly url: string;
  readonly status: number;
  readonly contentType: string | null | undefined;
  /** What the answer lacks (see `missingProtocolHeaders`). */
  readonly missing: string;
  /** For a read: where it stands. */
  readonly offset?: string;
}

/**
 * The error for a 2xx answer that is not the protocol's (see
 * `missingProtocolHeaders`): what came, what is missing, and that nothing of
 * it was taken as data or as an acknowledgement. Reads, one-shot writes and
 * the producer all fail such an answer with it.
 */
export function notProtocolAnswer({ url, status, contentType, missing, offset }: NotProtocolAnswer): ProtocolError {
  return new ProtocolError({
    url,
    status,
    ...(offset === undefined ? {} : { offset }),
    what:
      `The answer (${status}${contentType ? `, ${contentType}` : ''}) is not a Durable Streams answer: ` +
      `it has no ${missing} header`,
    hint:
      'Nothing in it was taken as data or as an acknowledgement; check baseUrl and the routes in front of the ' +
      "server (a catch-all route or an app's fallback page answers 200 to any path)",
  });
}
