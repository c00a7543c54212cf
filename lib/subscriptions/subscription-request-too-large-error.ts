import { SubscriptionError, type SubscriptionErrorInit } from './subscription-errors.js';

/**
 * 414 or 431: the server refused the request as too large before reading it
 * (its URL, with the subscription id or a stream path, or its headers).
 */
export class SubscriptionRequestTooLargeError extends SubscriptionError {
  /** The class's name, as a literal: minifiers rename classes. */
  override name = 'SubscriptionRequestTooLargeError';
  constructor(init: SubscriptionErrorInit) {
    super(
      'REQUEST_TOO_LARGE',
      `The server refused a request of subscription '${shortened(init.subscriptionId)}' as too large (${init.status ?? 431})`,
      {
        hint:
          "Its URL or headers exceed the server's limit (Node's is 16 KiB for all of them): " +
          'use a shorter subscription id or stream path, or send fewer or smaller headers',
        ...init,
      },
    );
  }
}

/** An id as a message shows it: up to 60 characters (an id may have 1 024, and this error is about length). */
const shortened = (id: string | undefined): string =>
  id !== undefined && id.length > 60 ? `${id.slice(0, 60)}…` : String(id);
