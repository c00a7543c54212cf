import type { DurableStreamError } from '../../errors/durable-stream-error.js';
import type { TailSnapshot } from '../shared/tail-snapshot.js';

/** An error as it crosses to another tab: what a UI shows of it. */
interface WireError {
  readonly code: string;
  readonly message: string;
  readonly status: number;
  readonly url: string;
}

/**
 * A snapshot as posted to other tabs. Payloads (JSON values, bytes) and
 * positions survive the structured clone as they are; a reconnecting
 * state's typed error would arrive as a bare `Error`, so it travels as its
 * code, message, status and URL.
 */
export function snapshotToWire<P>(snapshot: TailSnapshot<P>): unknown {
  const { state } = snapshot;
  if (state?.status !== 'reconnecting') return snapshot;
  const { code, message, status, url } = state.error;
  const error: WireError = { code, message, status, url };
  return { ...snapshot, state: { ...state, error } };
}

/** A snapshot another tab posted, its reconnecting error a `DurableStreamError` (`errorType`) again (the holding tab's message, code and status). */
export function snapshotFromWire<P>(wire: TailSnapshot<P>, errorType: typeof DurableStreamError): TailSnapshot<P> {
  const { state } = wire;
  if (state?.status !== 'reconnecting') return wire;
  const { code, message, status, url } = state.error as unknown as WireError;
  const error = new errorType(code, message, { url: '', status });
  Object.defineProperty(error, 'url', { value: url });
  return { ...wire, state: { ...state, error } };
}
