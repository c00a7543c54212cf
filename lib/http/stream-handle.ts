import { InvalidArgumentError } from '../errors/client-errors.js';
import type { StreamContext } from './stream-context.js';

/**
 * Type-level only: the key of a typed handle's phantom member. Declared,
 * never defined: no handle has it at runtime, and nothing can set it.
 */
declare const valueType: unique symbol;

/**
 * A handle on one stream URL whose messages are `T`, made by
 * `client.stream<T>(path)`. Making it does no I/O, and it holds no state a
 * user acts on: pass it to the operations (`readJson(stream)`,
 * `appendJson(stream, value)`, `idempotentProducer(stream, id)`, ...), each a
 * cold Observable or a producer, which take their `T` from it. Only what it
 * needs for them comes along into a bundle.
 *
 * At runtime every handle is a frozen `{ url }`: `T` lives in the types
 * only, as an optional member typed `(value: T) => T` that no handle has.
 * Taking `T` in and giving it out, it binds both ways: a
 * `DurableStream<Order>` is not a `DurableStream<PriorityOrder>` (plain
 * orders would be read as priority ones), nor a `DurableStream<Order | Refund>`
 * (a refund could be written to a stream of orders).
 *
 * `DurableStream` alone (`T` unknown) is the untyped handle, just `{ url }`:
 * `client.stream(path)` without a type argument makes one; every handle
 * passes as it (operations on bytes and metadata take any handle), and it
 * passes as any typed handle, so an explicit type argument
 * (`readJson<Order>(client.stream('orders'))`) declares what the stream
 * holds, as a cast would.
 */
export type DurableStream<T = unknown> = unknown extends T
  ? {
      /** The stream's absolute URL. */
      readonly url: string;
    }
  : {
      /** The stream's absolute URL. */
      readonly url: string;
      /** Type-level only, never present: binds `T` both ways (see {@link DurableStream}). */
      readonly [valueType]?: (value: T) => T;
    };

/**
 * Internal: what the operations need of a handle: the stream's context (its
 * executor, timers, retry policy, the content type known so far). Never
 * exported from a public entry.
 */
export interface StreamInternals {
  readonly context: StreamContext;
}

const internals = new WeakMap<object, StreamInternals>();

/** A new handle on `url`: a frozen `{ url }`, its internals kept apart (see {@link streamInternals}). */
export function newStreamHandle<T = unknown>(url: string, streamInternals: StreamInternals): DurableStream<T> {
  const handle: DurableStream<T> = Object.freeze({ url });
  internals.set(handle, streamInternals);
  return handle;
}

/** Whether `value` is a handle made by `client.stream()`. */
export function isStreamHandle(value: unknown): value is DurableStream {
  return internals.has(value as object);
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
