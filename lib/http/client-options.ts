import type { SchedulerLike } from 'rxjs';
import { checkOptionsObject } from '../errors/argument-checks.js';
import { InvalidArgumentError } from '../errors/client-errors.js';
import { resolveRetryConfig, type RetryConfig } from '../retry/retry-config.js';
import type { HttpTransport } from '../transport/http-transport.js';
import { interceptedTransport, type TransportInterceptor } from '../transport/interceptors.js';
import { validateDynamicRecord, type DynamicRecord } from './dynamic-values.js';
import type { CatchUpSharing } from './catch-up-sharing.js';
import type { ReadDecorator } from './read-decorator.js';

/** Options of a {@link DurableStreamsClient}. */
export interface DurableStreamsClientOptions {
  /** Resolves relative stream paths, e.g. `http://localhost:4437/v1/stream`; in a browser page also a path such as `/v1/stream` (against the page's origin). */
  readonly baseUrl?: string;
  /**
   * Sent on every request to the base URL's origin (and `trustedOrigins`);
   * function values are evaluated on every request, retry and reconnect.
   * Names must be header tokens and values free of control characters.
   */
  readonly headers?: DynamicRecord;
  /** Query parameters added to every request to the base URL's origin (and `trustedOrigins`); function values likewise. */
  readonly params?: DynamicRecord;
  /**
   * Origins besides the base URL's that may receive the client's `headers`
   * and `params` (its credentials), e.g. `['https://cdn.example.com']`. A
   * stream on any other origin (an absolute URL) gets only the headers and
   * params of its own call. Without a `baseUrl` and without this option,
   * the client's headers and params go to every origin.
   */
  readonly trustedOrigins?: readonly string[];
  /**
   * Backoff for retryable failures. `maxRetries` (default 6) bounds one-shot
   * operations and `live: false` reads; live reads retry without end unless
   * it is given here or on the read.
   */
  readonly retry?: Partial<RetryConfig>;
  /** Longest wait for response headers of a one-shot operation or catch-up read, ms. Default 30 000. */
  readonly timeoutMs?: number;
  /** The HTTP seam. Default: one shared `fetchTransport()` on every platform; Node services pass `undiciTransport()` from `durable-streams-rx/undici`. */
  readonly transport?: HttpTransport;
  /**
   * Functions every request of this client passes through on its way to the
   * transport (reads, one-shot operations, producer batches, subscriptions),
   * each attempt again: auth, logging, tracing, test doubles. The first
   * listed is the outermost. See {@link TransportInterceptor} and docs/interceptors.md.
   */
  readonly interceptors?: readonly TransportInterceptor[];
  /** Scheduler for backoff timers (tests pass a TestScheduler). */
  readonly scheduler?: SchedulerLike;
  /**
   * Tabs of one app that read the same stream share one live connection:
   * one tab reads, the others hear it (Web Locks and `BroadcastChannel`).
   * Default `true` where both APIs exist; `false`: a connection per tab.
   * See docs/many-reads.md.
   */
  readonly shareAcrossTabs?: boolean;
  /**
   * Live requests (long-poll, SSE) kept open at once per origin, in this
   * page and its other tabs; readers beyond it poll with backoff, taking
   * turns. Default `'auto'`: 4 on an origin a page reaches over HTTP/1.1
   * (browsers open 6 connections per origin), none on HTTP/2 and HTTP/3
   * or outside a browser. See docs/many-reads.md.
   */
  readonly liveRequestBudget?: number | 'auto';
  /**
   * Live reads of one stream from one offset that start together share
   * their catch-up: `catchUps: sharedCatchUps()`. For Node services with
   * many readers (fewer requests, a fraction of the memory); without it
   * (the default) each read catches up on its own requests, and an app
   * carries none of that code. See docs/many-reads.md.
   */
  readonly catchUps?: CatchUpSharing;
  /** @internal Wraps every read of the client: set by `provideDurableStreams()` on the client it makes. */
  readonly ɵdecorateRead?: ReadDecorator;
}

/** Client options after validation, with defaults filled in. */
export interface ResolvedClientOptions {
  readonly baseUrl: string | undefined;
  readonly headers: DynamicRecord | undefined;
  readonly params: DynamicRecord | undefined;
  /** The origins the client's headers and params go to: the base URL's and `trustedOrigins`; undefined: every origin. */
  readonly credentialOrigins: ReadonlySet<string> | undefined;
  readonly retry: RetryConfig;
  /** Consecutive failures a live read retries: `retry.maxRetries` when the options gave it, else `Infinity`. */
  readonly liveMaxRetries: number;
  readonly timeoutMs: number;
  /** The transport with the client's interceptors composed around it (the transport itself without any). */
  readonly transport: HttpTransport;
  readonly scheduler: SchedulerLike | undefined;
  readonly shareAcrossTabs: boolean;
  readonly liveRequestBudget: number | 'auto';
  readonly decorateRead: ReadDecorator | undefined;
  /** Makes the client's shared catch-ups (`sharedCatchUps()`); undefined: each read catches up on its own. */
  readonly catchUps: CatchUpSharing | undefined;
}

export const DEFAULT_TIMEOUT_MS = 30_000;

/** Validates options at construction, so mistakes surface where they are made. */
export function resolveClientOptions(
  options: DurableStreamsClientOptions,
  defaultTransport: () => HttpTransport,
): ResolvedClientOptions {
  checkOptionsObject(options);
  const baseUrl = resolveBaseUrl(options.baseUrl);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new InvalidArgumentError(`timeoutMs must be a positive number of milliseconds, got ${timeoutMs}`);
  }
  validateDynamicRecord('headers', options.headers);
  validateDynamicRecord('params', options.params);
  if (options.transport !== undefined && typeof options.transport.request !== 'function') {
    throw new InvalidArgumentError('transport must implement HttpTransport: request(request) => Promise<HttpResponse>');
  }
  if (options.shareAcrossTabs !== undefined && typeof options.shareAcrossTabs !== 'boolean') {
    throw new InvalidArgumentError(`shareAcrossTabs must be true or false, got ${String(options.shareAcrossTabs)}`);
  }
  if (options.catchUps !== undefined && typeof options.catchUps !== 'function') {
    throw new InvalidArgumentError(`catchUps must be made by sharedCatchUps(), got ${String(options.catchUps)}`);
  }
  const liveRequestBudget = options.liveRequestBudget ?? 'auto';
  if (
    liveRequestBudget !== 'auto' &&
    !(
      typeof liveRequestBudget === 'number' &&
      liveRequestBudget >= 1 &&
      (Number.isInteger(liveRequestBudget) || liveRequestBudget === Infinity)
    )
  ) {
    throw new InvalidArgumentError(
      `liveRequestBudget must be 'auto', a whole number of requests (1 or more) or Infinity, got ${String(liveRequestBudget)}`,
    );
  }
  return {
    baseUrl,
    headers: options.headers,
    params: options.params,
    credentialOrigins: credentialOrigins(baseUrl, options.trustedOrigins),
    retry: resolveRetryConfig(options.retry),
    liveMaxRetries: options.retry?.maxRetries ?? Infinity,
    timeoutMs,
    transport: interceptedTransport(options.transport ?? defaultTransport(), options.interceptors),
    scheduler: options.scheduler,
    shareAcrossTabs: options.shareAcrossTabs ?? true,
    liveRequestBudget,
    decorateRead: options.ɵdecorateRead,
    catchUps: options.catchUps,
  };
}

/**
 * An absolute http(s) URL, or, in a browser page, a path resolved against the
 * page's origin (`'/v1/stream'` behind the app's own server or proxy).
 */
function resolveBaseUrl(baseUrl: string | undefined): string | undefined {
  if (baseUrl === undefined || /^https?:\/\/[^/]+/i.test(baseUrl)) return baseUrl;
  const origin = (globalThis as { location?: { origin?: string } }).location?.origin;
  if (typeof baseUrl === 'string' && baseUrl.startsWith('/') && origin && /^https?:/i.test(origin))
    return origin + baseUrl;
  const orPath = origin ? " or a path starting with '/'" : ' (a path works only in a browser page)';
  throw new InvalidArgumentError(`baseUrl must be an absolute http(s) URL${orPath}, got '${baseUrl}'`);
}

/** The base URL's origin and the trusted ones; undefined when neither is given (credentials then go everywhere). */
function credentialOrigins(
  baseUrl: string | undefined,
  trusted: readonly string[] | undefined,
): ReadonlySet<string> | undefined {
  if (trusted !== undefined && !Array.isArray(trusted))
    throw new InvalidArgumentError('trustedOrigins must be an array of origins');
  if (baseUrl === undefined && trusted === undefined) return undefined;
  const origins = new Set<string>();
  if (baseUrl !== undefined) origins.add(new URL(baseUrl).origin);
  for (const origin of trusted ?? []) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(String(origin));
    } catch {
      parsed = undefined;
    }
    if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.origin !== String(origin).replace(/\/$/, '')) {
      throw new InvalidArgumentError(
        `trustedOrigins: '${String(origin)}' is not an origin (scheme, host and port only: 'https://cdn.example.com')`,
      );
    }
    origins.add(parsed.origin);
  }
  return origins;
}
