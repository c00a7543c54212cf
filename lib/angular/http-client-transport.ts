import * as ngHttp from '@angular/common/http';
import {
  HttpClient,
  HttpErrorResponse,
  HttpEventType,
  HttpHandler,
  HttpHeaders as NgHttpHeaders,
  HttpRequest as NgHttpRequest,
  type HttpEvent,
} from '@angular/common/http';
import { isPlatformServer } from '@angular/common';
import {
  createEnvironmentInjector,
  DestroyRef,
  EnvironmentInjector,
  ErrorHandler,
  inject,
  PLATFORM_ID,
  type InjectionToken,
  type Provider,
} from '@angular/core';
import { Subscription } from 'rxjs';
import {
  InvalidArgumentError,
  type HttpBody,
  type HttpHeaders,
  type HttpRequest,
  type HttpResponse,
  type HttpTransport,
} from '../index.js';
import { PushQueue } from './push-queue.js';
import { ResponseTooLargeError } from './response-too-large-error.js';

/** What the transport knows of Angular's limit on response bodies (NG02825), and whom it tells of a cut response. */
interface BodyLimit {
  /** Angular's limit, bytes: null where there is none, undefined where Angular does not tell it. */
  readonly bytes: number | null | undefined;
  /** Told of every whole response the limit cut (during a server render: Angular's ErrorHandler). */
  readonly report?: (error: ResponseTooLargeError) => void;
}

/**
 * Provides `token` as an {@link HttpTransport} over the app's `HttpClient`.
 * Live requests (long-poll, SSE) go through a second `HttpClient` with the
 * same interceptors and backend that does not count them as pending work, so
 * a live read does not keep the application from becoming stable (hydration
 * cleanup, `whenStable`). That switch is Angular-internal; where a version
 * lacks it, live requests use the app's client and do hold stability.
 *
 * A response Angular's limit on response bodies cut (NG02825, Angular 22's
 * server-side `maxResponseBodySize`) fails as a {@link ResponseTooLargeError};
 * during a server render it is also reported to Angular's `ErrorHandler`.
 */
export function provideHttpClientTransport(token: InjectionToken<HttpTransport>): Provider[] {
  return [
    {
      provide: token,
      useFactory: () => {
        const errors = inject(ErrorHandler);
        const report = isPlatformServer(inject(PLATFORM_ID))
          ? (error: ResponseTooLargeError) => errors.handleError(error)
          : undefined;
        return transportOver(inject(HttpClient), liveHttpClient() ?? inject(HttpClient), {
          bytes: fetchBodyLimit(),
          report,
        });
      },
    },
  ];
}

/**
 * The transport: each request one `HttpClient.request()`, unsubscribed
 * (aborted) with the request's signal. A response that Angular's limit on
 * response bodies cut (NG02825) fails as a {@link ResponseTooLargeError}.
 */
export function httpClientTransport(client: HttpClient, liveClient: HttpClient = client): HttpTransport {
  for (const [name, value] of [
    ['client', client],
    ['liveClient', liveClient],
  ] as const) {
    if (typeof (value as Partial<HttpClient> | null)?.request !== 'function') {
      throw new InvalidArgumentError(
        `httpClientTransport(client, liveClient?): ${name} must be an Angular HttpClient (inject(HttpClient)), got ${typeof value}`,
      );
    }
  }
  return transportOver(client, liveClient, { bytes: undefined });
}

function transportOver(client: HttpClient, liveClient: HttpClient, limit: BodyLimit): HttpTransport {
  return {
    request: (request) => {
      const sse = request.headers['accept'] === 'text/event-stream';
      const live = new URL(request.url).searchParams.has('live');
      return send(live ? liveClient : client, request, sse, limit);
    },
  };
}

function send(client: HttpClient, request: HttpRequest, streamed: boolean, limit: BodyLimit): Promise<HttpResponse> {
  return new Promise<HttpResponse>((resolve, reject) => {
    if (request.signal.aborted) return reject(abortError(request.signal));
    // Streamed (SSE): headers first, then the text as it arrives. Otherwise: the whole body, as bytes.
    const body = streamed ? new PushQueue<Uint8Array>() : undefined;
    const encoder = new TextEncoder();
    let seen = 0;
    // A container first: a stop() during the request's own subscribe (a synchronous answer) still ends it.
    const subscription = new Subscription();
    const stop = () => subscription.unsubscribe();
    const onAbort = () => {
      stop();
      body?.fail(abortError(request.signal));
      reject(abortError(request.signal));
    };
    request.signal.addEventListener('abort', onAbort, { once: true });
    const settle = () => request.signal.removeEventListener('abort', onAbort);

    const exchange = client.request(toAngularRequest(request, streamed)).subscribe({
      next: (event: HttpEvent<unknown>) => {
        if (body && event.type === HttpEventType.ResponseHeader) {
          resolve({ status: event.status, headers: headersOf(event.headers), body: queueBody(body, stop) });
        } else if (body && event.type === HttpEventType.DownloadProgress && event.partialText !== undefined) {
          // partialText is everything so far: pass on what is new.
          if (event.partialText.length > seen) body.push(encoder.encode(event.partialText.slice(seen)));
          seen = event.partialText.length;
        } else if (event.type === HttpEventType.Response) {
          if (body) {
            const text = typeof event.body === 'string' ? event.body : '';
            if (text.length > seen) body.push(encoder.encode(text.slice(seen)));
            body.end();
            resolve({ status: event.status, headers: headersOf(event.headers), body: queueBody(body, stop) });
          } else {
            resolve({ status: event.status, headers: headersOf(event.headers), body: bufferedBody(event.body) });
          }
        }
      },
      error: (error: unknown) => {
        settle();
        // HttpClient fails on error statuses; the seam answers them as responses (status 0 is a network failure).
        if (error instanceof HttpErrorResponse && error.status !== 0) {
          body?.end();
          resolve({ status: error.status, headers: headersOf(error.headers), body: bufferedBody(error.error) });
        } else {
          const cut = cutByLimit(error, request, limit, streamed);
          if (cut && !cut.streamed) limit.report?.(cut);
          const failure = cut ?? failureOf(error);
          body?.fail(failure);
          reject(failure);
        }
      },
      complete: () => {
        settle();
        body?.end();
      },
    });
    subscription.add(exchange);
  });
}

function toAngularRequest(request: HttpRequest, streamed: boolean): NgHttpRequest<unknown> {
  const body =
    request.body === undefined ? null : typeof request.body === 'string' ? request.body : arrayBufferOf(request.body);
  return new NgHttpRequest<unknown>(request.method, request.url, body, {
    headers: new NgHttpHeaders(request.headers),
    responseType: streamed ? 'text' : 'arraybuffer',
    reportProgress: streamed,
    // The SDK hands reads to the browser itself (streamResource + TransferState): no HttpClient transfer cache.
    transferCache: false,
  });
}

/** HttpClient sends ArrayBuffers as they are (a Uint8Array would be JSON-encoded). */
function arrayBufferOf(bytes: Uint8Array): ArrayBuffer {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer
    ? bytes.buffer
    : bytes.slice().buffer;
}

function headersOf(headers: NgHttpHeaders): HttpHeaders {
  return {
    get: (name) => headers.get(name),
    entries: () =>
      headers.keys().map((name): [string, string] => [name.toLowerCase(), headers.getAll(name)?.join(', ') ?? '']),
  };
}

function bufferedBody(value: unknown): HttpBody {
  const bytes =
    value == null
      ? new Uint8Array(0)
      : value instanceof ArrayBuffer
        ? new Uint8Array(value)
        : new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));
  return {
    bytes: async () => bytes,
    text: async () => new TextDecoder().decode(bytes),
    stream: async function* () {
      if (bytes.length > 0) yield bytes;
    },
    dump: async () => undefined,
  };
}

function queueBody(queue: PushQueue<Uint8Array>, release: () => void): HttpBody {
  const all = async () => {
    const parts: Uint8Array[] = [];
    for await (const part of queue) parts.push(part);
    const out = new Uint8Array(parts.reduce((size, part) => size + part.length, 0));
    parts.reduce((at, part) => (out.set(part, at), at + part.length), 0);
    return out;
  };
  return {
    bytes: all,
    text: async () => new TextDecoder().decode(await all()),
    stream: () => queue.iterate(release),
    dump: async () => {
      release();
      queue.end();
    },
  };
}

/**
 * The typed error for a response Angular's limit on response bodies cut:
 * its fetch backend fails the request with an `HttpErrorResponse` (status 0)
 * whose `error` is Angular's NG02825 (`code` -2825; the message, in
 * development builds, names the limit).
 */
function cutByLimit(
  error: unknown,
  request: HttpRequest,
  limit: BodyLimit,
  streamed: boolean,
): ResponseTooLargeError | undefined {
  const cause: unknown = error instanceof HttpErrorResponse ? error.error : undefined;
  if (!(cause instanceof Error)) return undefined;
  if ((cause as { code?: unknown }).code !== -2825 && !/^NG0?2825\b/.test(cause.message)) return undefined;
  const stated = /\((\d+) bytes\)/.exec(cause.message)?.[1];
  const limitBytes = stated !== undefined ? Number(stated) : (limit.bytes ?? undefined);
  return new ResponseTooLargeError({ url: request.url.split('?')[0], limitBytes, streamed, cause });
}

/** Angular's limit on fetched response bodies (Angular 22: 1 MiB on the server by default), where Angular has one. */
function fetchBodyLimit(): number | null | undefined {
  const internals = ngHttp as unknown as Record<string, unknown>;
  const token = (internals['HTTP_FETCH_MAX_RESPONSE_SIZE'] ?? internals['ɵHTTP_FETCH_MAX_RESPONSE_SIZE']) as
    InjectionToken<number | null> | undefined;
  return token ? inject(token, { optional: true }) : undefined;
}

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new DOMException('The request was aborted', 'AbortError');
}

/** What the transport rejects with when no response came: the cause itself, an `Error` that keeps it otherwise. */
function failureOf(error: unknown): Error {
  if (error instanceof HttpErrorResponse)
    return error.error instanceof Error ? error.error : new Error(error.message, { cause: error });
  return error instanceof Error ? error : new Error('HttpClient failed', { cause: error });
}

/**
 * An `HttpClient` like the app's (same interceptors, same backend) whose
 * requests do not count toward stability. Built with Angular's own handler
 * and switch, which are not public API: undefined where they are missing.
 */
function liveHttpClient(): HttpClient | undefined {
  const internals = ngHttp as unknown as Record<string, unknown>;
  const contributes = internals['ɵREQUESTS_CONTRIBUTE_TO_STABILITY'];
  const Handler = internals['ɵHttpInterceptingHandler'] as (new (...args: never[]) => HttpHandler) | undefined;
  if (!contributes || !Handler) return undefined;
  const child = createEnvironmentInjector(
    [{ provide: contributes, useValue: false }, Handler, { provide: HttpHandler, useExisting: Handler }, HttpClient],
    inject(EnvironmentInjector),
  );
  inject(DestroyRef).onDestroy(() => child.destroy());
  return child.get(HttpClient);
}
