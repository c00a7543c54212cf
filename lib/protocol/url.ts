/** Query values: undefined entries are left out. */
export type QueryParams = Readonly<Record<string, string | undefined>>;

/**
 * Appends `params` to `url` with keys in lexicographic order, so that equal
 * reads produce byte-identical URLs (CDN cache keys, PROTOCOL.md 10.1).
 * Existing query parameters on `url` are kept and sorted with the rest.
 */
export function withQuery(url: string, params: QueryParams): string {
  const hash = url.indexOf('#');
  const bare = hash === -1 ? url : url.slice(0, hash);
  const q = bare.indexOf('?');
  const path = q === -1 ? bare : bare.slice(0, q);
  const entries: Array<[string, string]> = [];
  if (q !== -1) {
    for (const [k, v] of new URLSearchParams(bare.slice(q + 1))) entries.push([k, v]);
  }
  for (const key of Object.keys(params)) {
    const value = params[key];
    if (value === undefined) continue;
    const existing = entries.findIndex(([k]) => k === key);
    if (existing !== -1) entries.splice(existing, 1);
    entries.push([key, value]);
  }
  if (entries.length === 0) return path;
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${path}?${entries.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}`;
}

/**
 * Resolves a stream path against the client's base URL; absolute URLs pass
 * through. A relative path stays under the base URL's path: `..` segments,
 * their percent-encoded forms (`%2e%2e`, `.%2E`…) and encoded or backslash
 * separators (`%2f`, `%5c`, `\\`), which servers and proxies may decode or
 * normalise into `..`, are refused. Control characters, which URL parsers
 * silently strip, are refused in any URL. Throws a plain `TypeError` saying
 * why; the client wraps it in an `InvalidArgumentError`.
 */
export function resolveStreamUrl(baseUrl: string | undefined, urlOrPath: string): string {
  if (CONTROL_CHARACTER.test(urlOrPath)) {
    throw new TypeError(
      `${JSON.stringify(urlOrPath)} contains a control character: refused, as a URL parser would drop it silently`,
    );
  }
  if (/^https?:\/\//i.test(urlOrPath)) return urlOrPath;
  if (!baseUrl) {
    throw new TypeError(
      `'${urlOrPath}' is a path, but the client has no baseUrl: pass an absolute http(s) URL or set baseUrl`,
    );
  }
  if (/\\|%2f|%5c/i.test(urlOrPath)) {
    throw new TypeError(
      `'${urlOrPath}' has an encoded or backslash path separator, which a server may decode to leave the base URL's path: refused`,
    );
  }
  if (urlOrPath.split('/').some((segment) => segment.replace(/%2e/gi, '.') === '..')) {
    throw new TypeError(
      `'${urlOrPath}' would leave the base URL's path ('..'): refused, so the client's credentials go only under ${baseUrl}`,
    );
  }
  return baseUrl.replace(/\/+$/, '') + '/' + urlOrPath.replace(/^\/+/, '');
}

/** C0 controls and DEL: never valid in a URL, and silently removed (tab, CR, LF) or mangled by URL parsers. */
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/** The URL without its query: errors name the stream, not the offset or token a query may carry. */
export function stripQuery(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}
