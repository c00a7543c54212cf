import type { Observable } from 'rxjs';
import { InvalidArgumentError } from '../errors/client-errors.js';
import type { StreamContext } from './stream-context.js';

/**
 * A handle on one stream URL, made by `client.stream(path)`. Making it does
 * no I/O, and it holds no state a user acts on: pass it to the operations
 * (`readJson(stream)`, `append(stream, data)`, `idempotentProducer(stream, id)`,
 * ...), each a cold Observable or a producer. Only what it needs for them
 * comes along into a bundle.
 */
export interface DurableStream {
  /** The stream's absolute URL. */
  readonly url: string;
}

/**
 * Internal: what the operations need of a handle: the stream's context (its
 * executor, timers, retry policy, content type) and the content type known
 * so far. Never exported from a public entry.
 */
export interface StreamInternals {
  readonly context: StreamContext;
  /** The content type when given, or learned by a create, fork or head; undefined until then. */
  knownContentType: string | undefined;
  /** The HEAD learning the content type, shared by concurrent callers while it runs. */
  learning?: Observable<string> | undefined;
}

const internals = new WeakMap<DurableStream, StreamInternals>();

/** A new handle on `url`: a frozen `{ url }`, its internals kept apart (see {@link streamInternals}). */
export function newStreamHandle(url: string, streamInternals: StreamInternals): DurableStream {
  const handle: DurableStream = Object.freeze({ url });
  internals.set(handle, streamInternals);
  return handle;
}

/** Whether `value` is a handle made by `client.stream()`. */
export function isStreamHandle(value: unknown): value is DurableStream {
  return internals.has(value as DurableStream);
}

/** The internals of a handle made by `client.stream()`; a clear error for anything else. */
export function streamInternals(stream: DurableStream): StreamInternals {
  // A WeakMap answers undefined for anything that is not a key, primitives included.
  const found = internals.get(stream);
  if (!found) throw new InvalidArgumentError('not a stream handle: make one with client.stream(path)');
  return found;
}

/** The context of a handle (see {@link streamInternals}). */
export function streamContextOf(stream: DurableStream): StreamContext {
  return streamInternals(stream).context;
}
