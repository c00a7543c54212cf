import { defer, map, type Observable } from 'rxjs';
import type { StreamContext } from '../http/stream-context.js';
import { stripQuery } from '../protocol/url.js';
import { bytesFormat } from './bytes-format.js';
import type { Chunk, JsonBatch, ReadPosition, TextChunk } from './chunk.js';
import { httpReadSource } from './http-read-source.js';
import { jsonFormat } from './json-format.js';
import type { PayloadFormat } from './payload-format.js';
import type { ReadOptions } from './read-options.js';
import { readLoop } from './read-loop.js';
import type { ReadStep } from './read-step.js';
import { resolveReadOptions } from './resolve-read-options.js';
import { textFormat } from './text-format.js';

/** Reads a stream as bytes: one {@link Chunk} per response that tells something new. */
export function readBytes(ctx: StreamContext, options: ReadOptions = {}): Observable<Chunk> {
  return readWith(ctx, options, bytesFormat, (data, position) => ({ data, ...position }));
}

/** Reads a stream as UTF-8 text, decoded across responses. */
export function readText(ctx: StreamContext, options: ReadOptions = {}): Observable<TextChunk> {
  return readWith(ctx, options, textFormat, (text, position) => ({ text, ...position }));
}

/** Reads a JSON stream: one {@link JsonBatch} of messages per response. */
export function readJson<T = unknown>(ctx: StreamContext, options: ReadOptions = {}): Observable<JsonBatch<T>> {
  return readWith(ctx, options, jsonFormat<T>, (items, position) => ({ items, ...position }));
}

/**
 * A cold read: options are checked, and the format's state made, per
 * subscription, so every subscriber reads independently from the start.
 */
function readWith<P, C>(
  ctx: StreamContext,
  options: ReadOptions,
  makeFormat: () => PayloadFormat<P>,
  toChunk: (payload: P, position: ReadPosition) => C,
): Observable<C> {
  return defer(() => {
    // Errors name the stream, not the token a query may carry.
    const url = stripQuery(ctx.url);
    const resolved = resolveReadOptions(options, ctx, url);
    const format = makeFormat();
    return readLoop(httpReadSource(ctx, format, resolved), {
      url,
      options: resolved,
      scheduler: ctx.scheduler,
      isEmpty: format.isEmpty,
      connectivity: ctx.connectivity,
    }).pipe(map((step) => toChunk(step.payload, position(step))));
  });
}

function position(step: ReadStep<unknown>): ReadPosition {
  const { offset, cursor, upToDate, closed } = step;
  return cursor === undefined
    ? { offset, upToDate, closed, checkpoint: { offset } }
    : { offset, cursor, upToDate, closed, checkpoint: { offset, cursor } };
}
