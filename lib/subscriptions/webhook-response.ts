/** What to answer a delivery. */
export interface WebhookResponse {
  /**
   * The HTTP status to answer with: 202 (accepted, the wake runs here), 200
   * (genuine, but not run here: see `refused` in the body), 401 (not
   * genuine), 503 (keys or server unreachable, or the receiver is closed:
   * the server delivers it again later); the listener also answers 405, 408
   * and 413.
   */
  readonly status: number;
  /** Headers to answer with. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body to answer with (JSON). */
  readonly body: string;
}

/**
 * Why a genuine delivery was not run here, in the body of its 200:
 * `'duplicate'` (this receiver runs or ran that wake), `'not-current'`
 * (the server fenced it: the wake ended, its lease ran out, or the
 * subscription is gone: a replay or a late copy), `'claimed-elsewhere'`
 * (another instance claimed it in `claimStream`).
 */
export type WebhookRefusal = 'duplicate' | 'not-current' | 'claimed-elsewhere';

const JSON_HEADERS = { 'content-type': 'application/json' } as const;

/** A JSON answer. */
export const answer = (status: number, body: unknown): WebhookResponse => ({
  status,
  headers: JSON_HEADERS,
  body: JSON.stringify(body),
});

/** 202: verified, confirmed current, and running here. Never `done: true`: the server would ack its current wake's tails unread. */
export const ACCEPTED = answer(202, { done: false });

/** 200: genuine and answered, but not run here; the server has nothing to retry. */
export const refused = (reason: WebhookRefusal): WebhookResponse => answer(200, { done: false, refused: reason });

/** 503 with a code: the server delivers again later. */
export const unavailable = (code: string): WebhookResponse => answer(503, { error: { code } });
