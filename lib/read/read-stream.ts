import { defer, type Observable, type ObservableInput } from 'rxjs';
import type { StreamContext } from '../http/stream-context.js';
import { streamContextOf, type DurableStream } from '../http/stream-handle.js';
import { stripQuery } from '../protocol/url.js';
import { bytesFormat } from './bytes-format.js';
import type { ByteChunk, JsonBatch, ReadPosition, TextChunk } from './chunk.js';
import { jsonFormat } from './json-format.js';
import type { ReadOptions } from './read-options.js';
import type { StreamPosition } from '../protocol/position.js';
import type { ReadStep } from './read-step.js';
import { readSteps } from './read-steps.js';
import { resolveReadOptions, type ResolvedReadOptions } from './resolve-read-options.js';
import { settleEach } from './settle-each.js';

/**
 * Reads the stream as bytes from `options.from` (default: the beginning),
 * then tails it live (`live`, default `'auto'`) until EOF: one
 * {@link ByteChunk} per response that tells something new. Cold: each
 * subscription is an independent read; unsubscribing aborts it. See docs/reading.md.
 */
export function readBytes(stream: DurableStream, options: ReadOptions = {}): Observable<ByteChunk> {
  const ctx = streamContextOf(stream);
  return readWith(ctx, options, (resolved) => readSteps(ctx, resolved, bytesFormat, 'bytes', byteChunk));
}

/**
 * Reads the stream as UTF-8 text (see {@link readBytes}): its bytes, decoded
 * by one streaming decoder per subscription, so a character a writer split
 * across two appends (and so across two responses, or a shared tail and a
 * read's own requests) comes out whole. The decoder is flushed at the end of the stream.
 */
export function readText(stream: DurableStream, options: ReadOptions = {}): Observable<TextChunk> {
  const ctx = streamContextOf(stream);
  return readWith(ctx, options, (resolved) => {
    // ignoreBOM keeps a U+FEFF that starts a response: a read resumed at it must give what a read from the beginning gives.
    const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
    return readSteps(ctx, resolved, bytesFormat, 'bytes', (step) => ({
      text: decoder.decode(step.payload, { stream: !step.closed }),
      ...position(step),
    }));
  });
}

/**
 * Reads a JSON stream (see {@link readBytes}): one {@link JsonBatch} of
 * messages per response, typed by the handle (`DurableStream<Order>`: batches of orders).
 */
export function readJson<T = unknown>(stream: DurableStream<T>, options: ReadOptions = {}): Observable<JsonBatch<T>> {
  const ctx = streamContextOf(stream);
  return readWith(ctx, options, (resolved) => readSteps(ctx, resolved, jsonFormat<T>, 'json', jsonStep<T>));
}

/**
 * Reads a JSON stream with backpressure, for `consume()`: each batch is
 * handed to `settle`, and the read goes on (its next request) only once that
 * completed; the batch is emitted then, made once. Such a read never shares a tail
 * (it would hold the tail for every reader); meant for catch-up and long-poll.
 * Its code (`settleEach`) is in no other read's bundle.
 */
export function readJsonSettled<T = unknown>(
  ctx: StreamContext,
  options: ReadOptions,
  settle: (batch: JsonBatch<T>) => ObservableInput<unknown>,
): Observable<JsonBatch<T>> {
  return readWith(ctx, options, (resolved) => {
    const settled = new WeakMap<ReadStep<readonly T[]>, JsonBatch<T>>();
    const settleStep = (step: ReadStep<readonly T[]>) => {
      const batch = jsonBatch(step.payload, step);
      settled.set(step, batch);
      return settle(batch);
    };
    return readSteps(
      ctx,
      resolved,
      jsonFormat<T>,
      'json',
      (step) => settled.get(step) ?? jsonBatch(step.payload, step),
      settleEach(settleStep),
    );
  });
}

/**
 * A cold read: options are checked at the call (an `InvalidArgumentError`
 * there), and `steps` (the read's steps made into chunks, with any state
 * such as a text decoder) made per subscription, from the options resolved.
 * Payloads are decoded once for every live read that shares a tail (see
 * `readSteps`). The client's read decorator, when it has one, wraps the read.
 */
function readWith<C extends ReadPosition>(
  ctx: StreamContext,
  options: ReadOptions,
  steps: (resolved: ResolvedReadOptions) => Observable<C>,
): Observable<C> {
  // Errors name the stream, not the token a query may carry.
  const resolve = (given: ReadOptions) => resolveReadOptions(given, ctx, stripQuery(ctx.url));
  const checked = resolve(options);
  // The decorator's options (if it changed them) are resolved on subscribe; the caller's were at the call.
  const read = (given: ReadOptions) => defer(() => steps(given === options ? checked : resolve(given)));
  return ctx.decorateRead ? ctx.decorateRead(options, read) : read(options);
}

/** A JSON read's batch of a step (one function for every read: a reader of a fan-out keeps no closure of its own for it). */
const jsonStep = <T>(step: ReadStep<readonly T[]>): JsonBatch<T> => jsonBatch(step.payload, step);

/** A byte read's chunk of a step. */
const byteChunk = (step: ReadStep<Uint8Array>): ByteChunk => ({ data: step.payload, ...position(step) });

/**
 * A batch of `items` at `step`'s position: made for every reader at every
 * step of a fan-out, so one literal, without an intermediate position object
 * or a spread (together about 170 bytes a batch instead of 96).
 */
function jsonBatch<T>(items: readonly T[], step: StreamPosition): JsonBatch<T> {
  const { offset, cursor } = step;
  return cursor === undefined
    ? { items, offset, upToDate: step.upToDate, closed: step.closed, checkpoint: { offset } }
    : { items, ...position(step) };
}

function position(step: StreamPosition): ReadPosition {
  const { offset, cursor, upToDate, closed } = step;
  return cursor === undefined
    ? { offset, upToDate, closed, checkpoint: { offset } }
    : { offset, cursor, upToDate, closed, checkpoint: { offset, cursor } };
}
