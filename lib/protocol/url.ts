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

/** Resolves a stream path against the client's base URL; absolute URLs pass through. */
export function resolveStreamUrl(baseUrl: string | undefined, urlOrPath: string): string {
  if (/^https?:\/\//i.test(urlOrPath)) return urlOrPath;
  if (!baseUrl) {
    throw new TypeError(`'${urlOrPath}' is a path, but the client has no baseUrl: pass an absolute http(s) URL or set baseUrl`);
  }
  return baseUrl.replace(/\/+$/, '') + '/' + urlOrPath.replace(/^\/+/, '');
}

/** The URL without its query: errors name the stream, not the offset or token a query may carry. */
export function stripQuery(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}
