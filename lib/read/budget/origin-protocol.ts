/** What an origin is known to speak: HTTP/1.1 (few connections per origin), HTTP/2 or later (one multiplexed connection), or not known yet. */
export type OriginProtocol = 'http/1.1' | 'h2+' | 'unknown';

/** The part of `performance` that tells a finished response's protocol (Resource Timing). */
export interface ResourceTimingSource {
  getEntriesByType(type: 'resource'): ReadonlyArray<{ readonly name: string; readonly nextHopProtocol?: string }>;
}

/**
 * What `origin` speaks, as a page can learn it: a plain `http:` origin is
 * HTTP/1.1 (browsers speak HTTP/2 and HTTP/3 over TLS only); otherwise the
 * ALPN protocol of the latest finished response from it, as Resource Timing
 * tells it (`nextHopProtocol`, which a cross-origin server hides unless it
 * sends `Timing-Allow-Origin`). Pure but for reading `timing`.
 */
export function originProtocol(origin: string, timing: ResourceTimingSource | undefined): OriginProtocol {
  if (origin.startsWith('http:')) return 'http/1.1';
  const entries = timing?.getEntriesByType('resource') ?? [];
  for (let i = entries.length - 1; i >= 0; i--) {
    const entry = entries[i];
    if (!entry.nextHopProtocol || !entry.name.startsWith(`${origin}/`)) continue;
    return /^http\/1/i.test(entry.nextHopProtocol) ? 'http/1.1' : 'h2+';
  }
  return 'unknown';
}
