import {
  FetchBackend,
  HttpBackend,
  HttpErrorResponse,
  HttpEventType,
  type HttpEvent,
  type HttpRequest,
} from '@angular/common/http';
import { inject, ɵRuntimeError as RuntimeError, type Provider } from '@angular/core';
import { Observable } from 'rxjs';

/**
 * Angular 22's limit on fetched response bodies (NG02825, `maxResponseBodySize`, 1 MiB on the server by default),
 * for Angular versions without it: Angular's own FetchBackend, failing a response whose body grows past `limit`
 * bytes as Angular 22's does: the request errors with an `HttpErrorResponse` without a status whose `error` is
 * Angular's RuntimeError -2825 (its message names the limit in development builds, and is the bare code in
 * production builds); a streamed response (progress reported) has had its headers and progress until then.
 */
export function provideLimitedFetchBackend(limit: number, build: 'development' | 'production'): Provider[] {
  return [
    FetchBackend,
    { provide: HttpBackend, useFactory: () => new LimitedBackend(inject(FetchBackend), limit, build) },
  ];
}

/** Angular's FetchBackend, cutting a response at `limit` bytes as Angular 22's does. */
class LimitedBackend implements HttpBackend {
  constructor(
    private readonly backend: FetchBackend,
    private readonly limit: number,
    private readonly build: 'development' | 'production',
  ) {}

  handle(request: HttpRequest<unknown>): Observable<HttpEvent<unknown>> {
    return new Observable<HttpEvent<unknown>>((observer) =>
      this.backend.handle(request).subscribe({
        next: (event) => {
          const received =
            event.type === HttpEventType.DownloadProgress
              ? event.loaded
              : event.type === HttpEventType.Response
                ? size(event.body)
                : 0;
          if (received > this.limit) observer.error(this.cut());
          else observer.next(event);
        },
        error: (error: unknown) => observer.error(error),
        complete: () => observer.complete(),
      }),
    );
  }

  private cut(): HttpErrorResponse {
    return new HttpErrorResponse({
      error: new RuntimeError(
        -2825 as never,
        this.build === 'development' &&
          `Fetch response body exceeded the configured buffer limit (${this.limit} bytes).`,
      ),
    });
  }
}

function size(body: unknown): number {
  return body instanceof ArrayBuffer
    ? body.byteLength
    : typeof body === 'string'
      ? new TextEncoder().encode(body).length
      : 0;
}
