import {
  asyncScheduler,
  catchError,
  concat,
  defer,
  EMPTY,
  filter,
  from,
  ignoreElements,
  retry,
  switchMap,
  throwError,
  timer,
  type Observable,
  type ObservableInput,
} from 'rxjs';
import { InvalidArgumentError } from '../errors/client-errors.js';
import { streamContextOf, type DurableStream } from '../http/stream-handle.js';
import { Offset, type Checkpoint } from '../protocol/offset.js';
import type { JsonBatch } from '../read/chunk.js';
import type { ReadOptions } from '../read/read-options.js';
import { readJsonSettled } from '../read/read-stream.js';
import { resolveReadOptions } from '../read/resolve-read-options.js';
import { resolveRetryConfig } from '../retry/retry-config.js';
import { backoffDelay } from '../retry/retry-with-backoff.js';
import { describeValue } from '../util/describe-value.js';
import { sameCheckpoint } from './checkpoint-record.js';
import { assertCheckpointStorage, loadCheckpoint, writeRecord, type CheckpointStorage } from './checkpoint-storage.js';

/** Options of {@link consume}. */
export interface ConsumeOptions extends Omit<
  ReadOptions,
  'from' | 'offset' | 'checkpoint' | 'live' | 'sseFallbackTimeoutMs' | 'sseIdleTimeoutMs'
> {
  /** Where the checkpoint is kept: `localStorage`, or any async key-value store. */
  readonly storage: CheckpointStorage;
  /** The checkpoint's key: one per consumer of the stream. */
  readonly key: string;
  /**
   * Where to start when no checkpoint is saved under `key`: `Offset.beginning`
   * (default), `Offset.now`, an offset or a checkpoint, as a read's `from`.
   */
  readonly from?: Offset | Checkpoint;
  /**
   * `'long-poll'` (default): wait for more once caught up; `false`: complete
   * once caught up. Never SSE: an SSE body cannot be paused, so it would not
   * wait for the handler.
   */
  readonly live?: false | 'long-poll';
}

/** Handles one batch; the next batch is requested when it returns, or when what it returns completes (a promise resolves). */
export type ConsumeHandler<T> = (batch: JsonBatch<T>) => ObservableInput<unknown> | void;

/** A failure of the handler or of saving the checkpoint: redelivered with backoff, unlike the read's own errors. */
class HandlerFailure {
  constructor(readonly cause: unknown) {}
}

/**
 * A supervised consumer of a JSON stream, in the manner of the Elixir
 * client's `Consumer`: loads the checkpoint saved under `key`, reads from
 * it, hands each batch of messages to `handler`, and requests the next
 * response only once the handler finished (backpressure: a slow handler is
 * never outrun, nothing piles up in memory). After each handled batch its
 * checkpoint is saved (awaited for an async store), so a restart resumes
 * after the last handled batch: delivery is at-least-once.
 *
 * Errors of the read follow the read's retry policy (`retry`, `onError`;
 * a live read retries retryable failures without end by default). A
 * handler that fails, or a checkpoint that cannot be saved, makes the
 * consumer start over from the last saved checkpoint after the backoff of
 * `retry`, up to `retry.maxRetries` failures in a row (the client's, 6 by
 * default), then the handler's error ends it.
 *
 * Emits each batch once handled and saved; cold; unsubscribing aborts the
 * request or the handler in progress. Uses catch-up and long-poll requests.
 */
export function consume<T = unknown>(
  stream: DurableStream<T>,
  handler: ConsumeHandler<T>,
  options: ConsumeOptions,
): Observable<JsonBatch<T>> {
  // Checked at the call: the arguments, and the options of the read it makes.
  const checked = validate(stream, handler, options);
  return defer(() => {
    const { storage, key, from: start = Offset.beginning, live = 'long-poll', ...readOptions } = checked;
    const context = streamContextOf(stream);
    const failures = resolveRetryConfig({ ...context.retry, ...options.retry });
    const scheduler = context.scheduler ?? asyncScheduler;

    const run = defer(() => {
      let saved: Checkpoint | undefined;
      const save = (checkpoint: Checkpoint): Observable<never> =>
        defer(() => {
          if (sameCheckpoint(checkpoint, saved)) return EMPTY;
          const write = writeRecord({ storage, key }, { checkpoint });
          return concat(
            write ? from(write).pipe(ignoreElements()) : EMPTY,
            defer(() => ((saved = checkpoint), EMPTY)),
          );
        });
      const settle = (batch: JsonBatch<T>): Observable<never> =>
        concat(
          batch.items.length > 0 ? defer(() => handler(batch) ?? EMPTY).pipe(ignoreElements()) : EMPTY,
          save(batch.checkpoint),
        ).pipe(catchError((error: unknown) => throwError(() => new HandlerFailure(error))));
      return loadCheckpoint({ storage, key }).pipe(
        switchMap((checkpoint) => {
          saved = checkpoint;
          return readJsonSettled<T>(context, { ...readOptions, live, from: checkpoint ?? start }, settle);
        }),
        filter((batch) => batch.items.length > 0),
      );
    });

    return run.pipe(
      // Only the handler's failures are retried here, from the last saved checkpoint; the read has retried its own.
      retry({
        count: failures.maxRetries,
        resetOnSuccess: true,
        delay: (error: unknown, attempt: number) =>
          error instanceof HandlerFailure
            ? timer(backoffDelay(failures, attempt, undefined), scheduler)
            : throwError(() => error),
      }),
      catchError((error: unknown) => throwError(() => (error instanceof HandlerFailure ? error.cause : error))),
    );
  });
}

/** Checks what JavaScript callers, or a cast, may pass whatever the types say. */
function validate(stream: DurableStream, handler: unknown, options: unknown): ConsumeOptions {
  // Refused as by every operation: not a stream handle.
  const context = streamContextOf(stream);
  const fail = (message: string): never => {
    throw new InvalidArgumentError(`consume(): ${message}`, stream.url);
  };
  if (typeof handler !== 'function') fail('the handler must be a function (batch) => ObservableInput');
  if (options === null || typeof options !== 'object') fail('options { storage, key } are required');
  const { storage, key, live, from } = options as Partial<Record<keyof ConsumeOptions, unknown>>;
  assertCheckpointStorage(storage as CheckpointStorage, key as string);
  if (live !== undefined && live !== false && live !== 'long-poll') {
    fail(`live must be 'long-poll' or false, got ${describeValue(live)}: SSE cannot wait for the handler`);
  }
  const start = typeof from === 'object' && from !== null ? (from as Partial<Checkpoint>).offset : from;
  if (from !== undefined && (typeof start !== 'string' || start === '')) {
    fail(
      `from must be an offset (Offset.beginning, Offset.now, one a batch gave) or a checkpoint, got ${describeValue(from)}`,
    );
  }
  const { storage: _storage, key: _key, from: _from, ...readOptions } = options as ConsumeOptions;
  resolveReadOptions(readOptions, context, stream.url);
  return options as ConsumeOptions;
}
