import { DurableStreamError } from '../errors/durable-stream-error.js';

/** Why the server's webhook key set was not taken. */
export type WebhookKeySetFailure = 'cross-origin-redirect' | 'too-many-redirects' | 'too-large' | 'too-slow';

const WHAT: Record<WebhookKeySetFailure, string> = {
  'cross-origin-redirect': 'The webhook key set redirects to another origin',
  'too-many-redirects': 'The webhook key set redirects too many times',
  'too-large': 'The webhook key set is larger than the verifier accepts',
  'too-slow': 'The webhook key set did not arrive whole in time',
};

const HINT: Record<WebhookKeySetFailure, string> = {
  'cross-origin-redirect':
    "Refused: keys from another origin would let that origin sign deliveries. Set jwksUrl to the key set's final URL on the Durable Streams server",
  'too-many-redirects': "Set jwksUrl to the key set's final URL",
  'too-large':
    'A key set holds a few keys (under 1 KiB each); check jwksUrl, or raise maxKeySetBytes if the server really publishes that many',
  'too-slow': 'The server or the network is slow, or the body trickles; raise timeoutMs if the server is merely slow',
};

/**
 * The webhook key set (PROTOCOL.md 6.5) could not be taken: a redirect to
 * another origin, too many redirects, over `maxKeySetBytes`, or not whole
 * within `timeoutMs`. No key of it was used; a receiver answers 503.
 */
export class WebhookKeySetError extends DurableStreamError {
  /** The class's name, as a literal: minifiers rename classes. */
  override name = 'WebhookKeySetError';
  /** Which bound or rule refused the key set. */
  readonly reason: WebhookKeySetFailure;
  constructor(reason: WebhookKeySetFailure, url: string, specifics?: string) {
    super('WEBHOOK_KEY_SET_REFUSED', specifics ? `${WHAT[reason]}: ${specifics}` : WHAT[reason], {
      url,
      hint: HINT[reason],
    });
    this.reason = reason;
  }
  /** A slow key set may come faster next time; a refused one will not change by itself. */
  override get isRetryable(): boolean {
    return this.reason === 'too-slow';
  }
}
