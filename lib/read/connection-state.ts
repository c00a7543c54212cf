import { distinctUntilChanged, Subject, type Subscription } from 'rxjs';
import type { DurableStreamError } from '../errors/durable-stream-error.js';

/**
 * Where a read's connection stands, for a UI to show ("reconnecting in 4 s…")
 * and an app to react to:
 * - `connecting`: before the first response of the read;
 * - `catching-up`: reading history with plain requests;
 * - `live`: up to date and tailing, over SSE or long-poll;
 * - `reconnecting`: a request failed; the next try (`attempt`, 1-based) is in `retryInMs`, `error` says why;
 * - `offline`: the browser says there is no network; the read tries again when it comes back (`online`);
 * - `closed`: the stream's end (EOF) was reached.
 *
 * A failure that ends the read is not a state: the read's Observable errors.
 */
export type ConnectionState =
  | {
      /** Before the first response of the read. */
      readonly status: 'connecting';
    }
  | {
      /** Reading history with plain requests. */
      readonly status: 'catching-up';
    }
  | {
      /** Up to date and tailing. */
      readonly status: 'live';
      /** How the read tails: SSE or long-poll. */
      readonly mode: 'sse' | 'long-poll';
    }
  | {
      /** A request failed; the read tries again. */
      readonly status: 'reconnecting';
      /** The next try, 1-based: failures in a row so far. */
      readonly attempt: number;
      /** How long until the next try, ms. */
      readonly retryInMs: number;
      /** Why the last request failed. */
      readonly error: DurableStreamError;
    }
  | {
      /** The browser says there is no network; the read tries again when it comes back. */
      readonly status: 'offline';
    }
  | {
      /** The stream's end (EOF) was reached. */
      readonly status: 'closed';
    };

/** Receives a read's connection states: a Subject, a BehaviorSubject, or `{ next: (state) => signal.set(state) }`. Only `next` is called. */
export interface ConnectionStateObserver {
  /** Told each new state. */
  next(state: ConnectionState): void;
}

/** Whether two states tell the same thing (a new failure, or a new wait, is news). */
export function sameConnectionState(a: ConnectionState, b: ConnectionState): boolean {
  if (a.status !== b.status) return false;
  if (a.status === 'live') return a.mode === (b as typeof a).mode;
  if (a.status === 'reconnecting') {
    const other = b as typeof a;
    return a.attempt === other.attempt && a.retryInMs === other.retryInMs && a.error === other.error;
  }
  return true;
}

/** The teller of a read nobody watches (one for all: made for every reader of a fan-out). */
const SILENT = { tell: () => undefined, done: undefined };

/**
 * Tells `observer` each state once, when it changes. Returns the function
 * the read calls with every state it derives, and the subscription to end
 * with the read.
 */
export function connectionStateTeller(observer: ConnectionStateObserver | undefined): {
  readonly tell: (state: ConnectionState) => void;
  readonly done: Subscription | undefined;
} {
  if (!observer) return SILENT;
  const states = new Subject<ConnectionState>();
  const done = states.pipe(distinctUntilChanged(sameConnectionState)).subscribe((state) => observer.next(state));
  return { tell: (state) => states.next(state), done };
}
