import { asyncScheduler, defer, firstValueFrom, switchMap, throwError, timeout, type Observable } from 'rxjs';
import { errorFromResponse } from '../errors/error-from-response.js';
import { exchange } from '../transport/exchange.js';
import type { HttpBody, HttpTransport } from '../transport/http-transport.js';
import { concatBytes } from '../util/bytes.js';
import type { JwksResponse } from './jwks-cache.js';
import { WebhookKeySetError } from './webhook-key-set-error.js';

/** The bounds of one key-set fetch. */
export interface JwksFetchOptions {
  readonly transport: HttpTransport;
  /** The whole fetch, redirects and body included, ms. */
  readonly timeoutMs: number;
  /** The largest body taken, bytes. */
  readonly maxBytes: number;
}

const MAX_REDIRECTS = 3;
const REDIRECT = new Set([301, 302, 303, 307, 308]);
const HEADERS = { accept: 'application/jwk-set+json, application/json' } as const;

/**
 * Fetches the key set at `url` (PROTOCOL.md 6.5) within bounds: the whole
 * fetch within `timeoutMs` (a body that trickles is cut off, not just one
 * that stalls), at most `maxBytes` of body (refused from `Content-Length`
 * before reading, or as soon as the bytes pass it), and redirects followed
 * by us, not the transport, only on the key set's origin (or to https on its
 * host), at most three: keys from another origin would let it sign deliveries.
 */
export function fetchJwks(url: string, options: JwksFetchOptions): Promise<JwksResponse> {
  const origin = new URL(url);
  const hop = (target: string, redirects: number): Observable<JwksResponse> =>
    exchange(
      options.transport,
      { method: 'GET', url: target, headers: HEADERS, redirect: 'manual' },
      async (response): Promise<JwksResponse | string> => {
        const location = REDIRECT.has(response.status) ? response.headers.get('location') : null;
        if (location !== null) {
          void response.body.dump();
          return new URL(location, target).href;
        }
        if (response.status !== 200) {
          const text = new TextDecoder().decode((await readCapped(response.body, 1024)).bytes);
          throw errorFromResponse(response.status, Object.fromEntries(response.headers.entries()), text, {
            url: target,
            method: 'GET',
            headers: HEADERS,
          });
        }
        const declared = Number(response.headers.get('content-length') ?? NaN);
        if (declared > options.maxBytes) {
          void response.body.dump();
          throw tooLarge(target, `Content-Length ${declared}`);
        }
        const { bytes, overflow } = await readCapped(response.body, options.maxBytes);
        if (overflow) throw tooLarge(target, 'its body ran past it');
        return {
          body: new TextDecoder().decode(bytes),
          cacheControl: response.headers.get('cache-control') ?? undefined,
        };
      },
    ).pipe(
      switchMap((answer) => {
        if (typeof answer !== 'string') return [answer];
        if (!sameSite(origin, new URL(answer)))
          return throwError(() => new WebhookKeySetError('cross-origin-redirect', url, `to ${new URL(answer).origin}`));
        if (redirects >= MAX_REDIRECTS)
          return throwError(() => new WebhookKeySetError('too-many-redirects', url, `more than ${MAX_REDIRECTS}`));
        return hop(answer, redirects + 1);
      }),
    );
  return firstValueFrom(
    defer(() => hop(url, 0)).pipe(
      // Unsubscribing on the deadline aborts the request in flight, whatever phase it is in.
      timeout({
        first: options.timeoutMs,
        scheduler: asyncScheduler,
        with: () =>
          throwError(() => new WebhookKeySetError('too-slow', url, `not whole within ${options.timeoutMs} ms`)),
      }),
    ),
  );

  function tooLarge(target: string, what: string): WebhookKeySetError {
    return new WebhookKeySetError('too-large', target, `over ${options.maxBytes} bytes (${what})`);
  }
}

/** The key set's own origin, or an upgrade to https on its host. */
function sameSite(from: URL, to: URL): boolean {
  return (
    to.origin === from.origin || (from.protocol === 'http:' && to.protocol === 'https:' && to.host === from.hostname)
  );
}

/** At most `max` bytes of `body`; stops reading (releasing the connection) as soon as more arrive. */
async function readCapped(body: HttpBody, max: number): Promise<{ bytes: Uint8Array; overflow: boolean }> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body.stream()) {
    size += chunk.length;
    if (size > max) return { bytes: concatBytes(chunks), overflow: true };
    chunks.push(chunk);
  }
  return { bytes: concatBytes(chunks), overflow: false };
}
