import { catchError, defer, map, of, shareReplay, switchMap, tap, throwError, type Observable } from 'rxjs';
import { InvalidArgumentError } from '../errors/client-errors.js';
import { StreamNotFoundError } from '../errors/http-errors.js';
import { appendRequest, appendResult, closeRequest, closeResult, deliverySafety, type AppendOptions, type AppendResult, type CloseResult, type Delivery } from '../operations/append.js';
import { createRequest, createResult, DEFAULT_CONTENT_TYPE, type CreateOptions, type CreateResult } from '../operations/create.js';
import { forkRequest, type ForkOptions } from '../operations/fork.js';
import { metadataFromHeaders, type StreamMetadata } from '../operations/stream-metadata.js';
import { toJson } from '../operations/validate.js';
import { IdempotentProducer } from '../produce/idempotent-producer.js';
import type { ProducerOptions } from '../produce/producer-options.js';
import { resolveStreamUrl } from '../protocol/url.js';
import type { Chunk, JsonBatch, TextChunk } from '../read/chunk.js';
import type { ReadOptions } from '../read/read-options.js';
import type { RetrySafety } from '../retry/retry-safety.js';
import { notProtocolAnswer } from '../errors/protocol-error.js';
import { missingProtocolHeaders, type AnsweredOperation } from '../protocol/protocol-answer.js';
import { readBytes, readJson as readJsonBatches, readText as readTextChunks } from '../read/read-stream.js';
import type { HttpResponse } from '../transport/http-transport.js';
import { streamContext, type RequestOptions, type StreamContext } from '../http/stream-context.js';
import type { RequestExecutor } from '../http/request-executor.js';
import type { RequestSpec } from '../http/request-spec.js';

/** Options of `client.stream()`. */
export interface StreamHandleOptions {
  /** The stream's content type, when known: saves a HEAD before the first append. */
  readonly contentType?: string;
}

/** What `fork()` emits. */
export interface ForkResult extends CreateResult {
  /** A handle on the new stream. */
  readonly stream: DurableStream;
}

/**
 * A handle on one stream URL. Creating it does no I/O. Every operation is a
 * cold Observable, as with Angular's HttpClient: nothing is sent before
 * subscribe, each subscription sends anew, unsubscribing aborts.
 */
export class DurableStream {
  private knownContentType: string | undefined;
  private learnedContentType: Observable<string> | undefined;
  /** What the read path and the producer need of this handle. */
  private readonly context: StreamContext;

  constructor(
    readonly http: RequestExecutor,
    /** The stream's absolute URL. */
    readonly url: string,
    options: StreamHandleOptions = {},
  ) {
    this.knownContentType = options.contentType;
    this.context = streamContext(url, http, (contentTypeOptions) => this.contentType(contentTypeOptions));
  }

  /** Creates the stream (PUT). Emits `created: false` when an identical stream already existed. */
  create(options: CreateOptions & RequestOptions = {}): Observable<CreateResult> {
    return this.send(
      () => createRequest(this.url, options),
      options,
      (response) => {
        const result = createResult(response, options.contentType ?? DEFAULT_CONTENT_TYPE);
        this.knownContentType = result.contentType;
        return result;
      },
      'idempotent',
      'create',
    );
  }

  /**
   * Appends bytes or text (POST) with the stream's content type. On a JSON
   * stream the text is sent as it is, so a top-level array is flattened into
   * several messages: use {@link appendJson} for one value. At most once by
   * default: retried only where the server surely did not apply it, so never
   * written twice; `delivery: 'at-least-once'` retries any retryable failure.
   */
  append(data: Uint8Array | string, options: AppendOptions & RequestOptions = {}): Observable<AppendResult> {
    return this.withContentType(options.contentType, options, (contentType) =>
      this.send(() => appendRequest(this.url, data, contentType, options), options, appendResult, deliverySafety(options.delivery, this.url), 'append'),
    );
  }

  /** Appends one JSON value as one message (wrapped in an array, which the server flattens). */
  appendJson(value: unknown, options: AppendOptions & RequestOptions = {}): Observable<AppendResult> {
    return defer(() => this.append(`[${toJson(value, this.url)}]`, { contentType: 'application/json', ...options }));
  }

  /** The stream's metadata (HEAD): tail offset, content type, expiry, closure. */
  head(options: RequestOptions = {}): Observable<StreamMetadata> {
    return this.send(
      () => ({ method: 'HEAD', url: this.url }),
      options,
      (response) => {
        const metadata = metadataFromHeaders(response.headers);
        if (metadata.contentType) this.knownContentType = metadata.contentType;
        return metadata;
      },
      'idempotent',
      'head',
    );
  }

  /** Whether the stream exists: true, false on 404; other failures are errors. */
  exists(options: RequestOptions = {}): Observable<boolean> {
    return this.head(options).pipe(
      map(() => true),
      catchError((error: unknown) => (error instanceof StreamNotFoundError ? of(false) : throwError(() => error))),
    );
  }

  /**
   * Reads the stream as bytes from `options.offset` (default: the beginning),
   * then tails it live (`live`, default `'auto'`) until EOF. Cold: each
   * subscription is an independent read. See docs/reading.md.
   */
  read(options: ReadOptions = {}): Observable<Chunk> {
    return readBytes(this.context, options);
  }

  /** Reads a JSON stream: one batch of messages per response. See {@link read}. */
  readJson<T = unknown>(options: ReadOptions = {}): Observable<JsonBatch<T>> {
    return readJsonBatches<T>(this.context, options);
  }

  /** Reads the stream as UTF-8 text, decoded across responses. See {@link read}. */
  readText(options: ReadOptions = {}): Observable<TextChunk> {
    return readTextChunks(this.context, options);
  }

  /** Deletes the stream and its data (DELETE). */
  delete(options: RequestOptions = {}): Observable<void> {
    return this.send(() => ({ method: 'DELETE', url: this.url }), options, () => undefined, 'unsafe');
  }

  /**
   * Closes the stream (EOF), optionally appending a last `body` atomically.
   * Closing a closed stream succeeds; with a body it fails with
   * `StreamClosedError`, as the body cannot be appended.
   */
  close(options: { readonly body?: Uint8Array | string; readonly delivery?: Delivery } & RequestOptions = {}): Observable<CloseResult> {
    if (options.body === undefined) {
      return this.send(() => closeRequest(this.url, undefined, undefined), options, closeResult, 'idempotent', 'close');
    }
    const body = options.body;
    return this.withContentType(undefined, options, (contentType) =>
      this.send(() => closeRequest(this.url, body, contentType), options, closeResult, deliverySafety(options.delivery, this.url), 'close'),
    );
  }

  /**
   * Forks this stream into `target` (a path or URL on the same server),
   * inheriting its data up to `offset` (default: the current tail).
   */
  fork(target: string, options: ForkOptions & RequestOptions = {}): Observable<ForkResult> {
    return defer(() => {
      let targetUrl: string;
      try {
        targetUrl = resolveStreamUrl(this.http.options.baseUrl ?? new URL(this.url).origin, target);
      } catch (error) {
        return throwError(() => new InvalidArgumentError((error as Error).message, this.url));
      }
      const fork = new DurableStream(this.http, targetUrl);
      return this.send(
        () => forkRequest(targetUrl, this.url, options),
        options,
        (response) => {
          const result = createResult(response, options.contentType ?? this.knownContentType ?? DEFAULT_CONTENT_TYPE);
          fork.knownContentType = result.contentType;
          return { ...result, stream: fork };
        },
        'idempotent',
        'create',
      );
    });
  }

  /**
   * An exactly-once producer for this stream: batched, pipelined appends
   * the server deduplicates by (producerId, epoch, seq). Raise `epoch` on
   * every restart of the same producer id. No I/O until the first append.
   */
  producer<T = unknown>(producerId: string, options: ProducerOptions = {}): IdempotentProducer<T> {
    return new IdempotentProducer<T>(this.context, producerId, options);
  }

  /** The content type: given, remembered, or learned with one HEAD (shared by concurrent callers). */
  contentType(options?: Pick<RequestOptions, 'headers' | 'params'>): Observable<string> {
    if (this.knownContentType) return of(this.knownContentType);
    const learn = (headOptions?: RequestOptions) => this.head(headOptions).pipe(map((metadata) => metadata.contentType ?? DEFAULT_CONTENT_TYPE));
    // The caller's own headers and params (its credentials) must reach the HEAD too; that HEAD is its own.
    if (options?.headers || options?.params) return learn(options);
    this.learnedContentType ??= learn().pipe(
      tap({ error: () => (this.learnedContentType = undefined) }),
      shareReplay({ bufferSize: 1, refCount: true }),
    );
    return this.learnedContentType;
  }

  /** Runs `next` with the content type: the override, or learned with the call's own headers and params. */
  private withContentType<T>(override: string | undefined, options: RequestOptions, next: (contentType: string) => Observable<T>): Observable<T> {
    return defer(() => (override ? next(override) : this.contentType(options).pipe(switchMap(next))));
  }

  /**
   * One one-shot operation: `build` describes it, `onSuccess` reads the
   * answer. When `answered` names what the answer must be, a 2xx without the
   * protocol's headers (a wrong base URL, an app's fallback page) is a
   * `ProtocolError`, never a success.
   */
  private send<T>(
    build: () => RequestSpec,
    options: RequestOptions,
    onSuccess: (response: HttpResponse) => T,
    safety: RetrySafety,
    answered?: AnsweredOperation,
  ): Observable<T> {
    return defer(() => {
      let spec: RequestSpec;
      try {
        spec = build();
      } catch (error) {
        return throwError(() => (error instanceof InvalidArgumentError ? error : new InvalidArgumentError(String(error), this.url)));
      }
      return this.http.call(
        { ...spec, userHeaders: options.headers, userParams: options.params },
        async (response) => {
          // Read to the end (these bodies are empty or tiny) so the socket returns to the pool.
          await response.body.dump();
          const missing = answered && missingProtocolHeaders(answered, response.status, response.headers);
          if (missing) throw notProtocolAnswer({ url: this.url, status: response.status, contentType: response.headers.get('content-type'), missing });
          return onSuccess(response);
        },
        safety,
        options.retry,
      );
    });
  }
}
