import type { ParseError } from '../errors/client-errors.js';
import type { ProtocolError } from '../errors/protocol-error.js';
import type { Offset } from '../protocol/offset.js';
import type { StreamPosition } from '../protocol/position.js';

/**
 * The typed errors SSE parsing raises, lent by the read path: this code
 * loads in a lazy chunk (live-code.ts) that imports no module of the read
 * path's initial code, where the errors live.
 */
export interface SseErrorTypes {
  readonly ParseError: typeof ParseError;
  readonly ProtocolError: typeof ProtocolError;
}

/** One event as the SSE parser delivers it. */
export interface SseMessage {
  readonly event?: string | undefined;
  readonly data: string;
}

/**
 * The data events that preceded a control event, with that control event.
 * A data event's position is known only when its control event arrives, so
 * the two are delivered together, as one step of the read.
 */
export interface SseFrame {
  /** The raw `data` payloads, in order (text, JSON array text, or base64). */
  readonly data: readonly string[];
  /** What the control event says (PROTOCOL.md 5.8). */
  readonly control: StreamPosition;
  /** The offset the data starts at: the previous control's offset, or where the connection started. */
  readonly from: Offset;
}

/** Data events waiting for their control event, newest first: appending shares the rest, so it costs O(1) and copies nothing. */
export interface PendingData {
  readonly data: string;
  readonly before: PendingData | undefined;
}

/** The reducer's state: the last known offset, and data events still waiting for their control event. */
export interface SseState {
  readonly offset: Offset;
  readonly pending: PendingData | undefined;
}

export const initialSseState = (offset: Offset): SseState => ({ offset, pending: undefined });

/**
 * Folds one SSE event into the state. Pure, and linear in the number of
 * events: a data event is added in O(1), and the frame its control event
 * closes is assembled once. Data events are held until their control event,
 * which yields a frame; other event types are ignored (the protocol may add
 * some). A malformed control event is a `ParseError` naming the last known
 * offset: without it the read cannot continue.
 */
export function reduceSse(
  state: SseState,
  message: SseMessage,
  url: string,
  errors: SseErrorTypes,
): { readonly state: SseState; readonly frame?: SseFrame } {
  if (message.event === 'data') {
    return { state: { offset: state.offset, pending: { data: message.data, before: state.pending } } };
  }
  if (message.event !== 'control') return { state };
  const control = parseControl(message.data, url, state.offset, errors);
  return {
    state: { offset: control.offset, pending: undefined },
    frame: { data: inOrder(state.pending), control, from: state.offset },
  };
}

function inOrder(pending: PendingData | undefined): string[] {
  const data: string[] = [];
  for (let at = pending; at; at = at.before) data.push(at.data);
  return data.reverse();
}

/** Parses and checks a control event's JSON. */
export function parseControl(
  text: string,
  url: string,
  at: Offset,
  { ParseError }: Pick<SseErrorTypes, 'ParseError'>,
): StreamPosition {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new ParseError({ url, offset: at, cause, what: `Malformed SSE control event: ${preview(text)}` });
  }
  const fields = (typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {}) as Record<
    string,
    unknown
  >;
  const { streamNextOffset, streamCursor, upToDate, streamClosed } = fields;
  if (typeof streamNextOffset !== 'string' || streamNextOffset === '') {
    throw new ParseError({ url, offset: at, what: `SSE control event without streamNextOffset: ${preview(text)}` });
  }
  if (
    (streamCursor !== undefined && typeof streamCursor !== 'string') ||
    !isOptionalBoolean(upToDate) ||
    !isOptionalBoolean(streamClosed)
  ) {
    throw new ParseError({ url, offset: at, what: `SSE control event with mistyped fields: ${preview(text)}` });
  }
  const closed = streamClosed === true;
  // A closed stream at its final offset is up to date by definition; its cursor may be absent.
  return { offset: streamNextOffset, cursor: streamCursor, upToDate: closed || upToDate === true, closed };
}

const isOptionalBoolean = (value: unknown): boolean => value === undefined || typeof value === 'boolean';

function preview(text: string): string {
  return JSON.stringify(text.length > 100 ? `${text.slice(0, 100)}...` : text);
}
