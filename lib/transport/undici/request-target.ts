import { errors as undiciErrors } from 'undici';

/** Where undici's `dispatch()` sends a request: the origin, and the path with its query. */
export interface RequestTarget {
  readonly origin: string;
  readonly path: string;
}

/** `scheme://authority` of an http(s) URL, nothing that URL parsing would read differently (`\`, `?`, `#`). */
const PLAIN_ORIGIN = /^https?:\/\/[^/\\?#]*$/i;
/** A path and query that URL parsing keeps exactly as written: no dot segment, nothing it would encode, no empty query. */
const PLAIN_PATH = /^\/[\w\-.~!$&()*+,;=:@/%?]*$/;
const DOT_SEGMENT = /\/(?:\.|%2e){1,2}(?:[/?]|$)/i;
const MAX_ORIGINS = 64;

/**
 * URLs split for undici's `dispatch()` as `undici.request()` splits them, but
 * without a `URL` object per request: each origin is parsed once (its
 * normalized form cached), and a path that parsing would not change is
 * taken as it is. Anything else is parsed whole.
 */
export class RequestTargets {
  /** `scheme://authority` as written, to its normalized origin. */
  private readonly origins = new Map<string, string>();

  of(url: string): RequestTarget {
    const slash = url.indexOf('/', url.indexOf('//') + 2);
    if (slash > 0) {
      const written = url.slice(0, slash);
      const path = url.slice(slash);
      if (PLAIN_PATH.test(path) && !path.endsWith('?') && !DOT_SEGMENT.test(path) && PLAIN_ORIGIN.test(written)) {
        return { origin: this.originOf(written), path };
      }
    }
    return parsed(url);
  }

  private originOf(written: string): string {
    let origin = this.origins.get(written);
    if (origin === undefined) {
      if (this.origins.size >= MAX_ORIGINS) this.origins.clear();
      origin = new URL(written).origin;
      this.origins.set(written, origin);
    }
    return origin;
  }
}

/** The URL parsed whole, refused as `undici.request()` refuses it. */
function parsed(url: string): RequestTarget {
  const parts = new URL(url);
  if (parts.protocol !== 'http:' && parts.protocol !== 'https:') {
    throw new undiciErrors.InvalidArgumentError('Invalid URL protocol: the URL must start with `http:` or `https:`.');
  }
  return { origin: parts.origin, path: parts.pathname + parts.search };
}
