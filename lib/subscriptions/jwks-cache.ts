import { ParseError } from '../errors/client-errors.js';

/** What one JWKS fetch returned. */
export interface JwksResponse {
  readonly body: string;
  /** The response's `Cache-Control`, if any. */
  readonly cacheControl: string | undefined;
}

/** How {@link JwksCache} keeps keys. */
export interface JwksCacheOptions {
  /** Fetches the key set. */
  readonly load: () => Promise<JwksResponse>;
  /** The clock, ms since the epoch. */
  readonly now: () => number;
  /** How long a key set without `Cache-Control: max-age` is kept, ms. */
  readonly defaultMaxAgeMs: number;
  /** The shortest time between two fetches caused by unknown key ids, ms: forged headers cannot make us fetch per request. */
  readonly refetchCooldownMs: number;
  /** How long a failed fetch's error is given to every lookup without fetching again, ms: a failing key set is not fetched per request. */
  readonly failureCacheMs: number;
  /** For errors. */
  readonly url: string;
}

interface KeySet {
  readonly keys: ReadonlyMap<string, JsonWebKey>;
  readonly fetchedAt: number;
  readonly expiresAt: number;
  /** Imported keys, made once per key. */
  readonly imported: Map<string, Promise<CryptoKey>>;
}

/**
 * The server's Ed25519 verification keys by `kid`, fetched from its JWKS
 * (PROTOCOL.md 6.5), kept as long as its `Cache-Control` says, and fetched
 * once more when a signature names a key not in the set (key rotation).
 * Concurrent lookups share one fetch; a failed fetch (its error) is kept
 * for `failureCacheMs`, so a failing key set is not fetched per request.
 */
export class JwksCache {
  private current: KeySet | undefined;
  private inFlight: Promise<KeySet> | undefined;
  private failure: { readonly error: Error; readonly until: number } | undefined;

  constructor(private readonly options: JwksCacheOptions) {}

  /** The key `kid` names, or undefined when the server's key set has no such key even after one refetch. */
  async key(kid: string): Promise<CryptoKey | undefined> {
    const { now, refetchCooldownMs } = this.options;
    let set = this.current && now() < this.current.expiresAt ? this.current : await this.refresh();
    if (!set.keys.has(kid) && now() - set.fetchedAt >= refetchCooldownMs) set = await this.refresh();
    const jwk = set.keys.get(kid);
    if (jwk === undefined) return undefined;
    let imported = set.imported.get(kid);
    if (imported === undefined) {
      imported = importEd25519(jwk).catch((error: unknown) => {
        throw new ParseError({
          url: this.options.url,
          what: `Key '${kid}' of the JWKS is not a valid Ed25519 public key`,
          cause: error,
        });
      });
      set.imported.set(kid, imported);
    }
    return imported;
  }

  private refresh(): Promise<KeySet> {
    const { now, failureCacheMs } = this.options;
    if (this.inFlight === undefined && this.failure !== undefined && now() < this.failure.until)
      return Promise.reject(this.failure.error);
    this.inFlight ??= this.options
      .load()
      .then((response) => {
        const fetchedAt = this.options.now();
        const maxAge = maxAgeMs(response.cacheControl) ?? this.options.defaultMaxAgeMs;
        const set: KeySet = {
          keys: ed25519Keys(response.body, this.options.url),
          fetchedAt,
          expiresAt: fetchedAt + maxAge,
          imported: new Map(),
        };
        this.current = set;
        this.failure = undefined;
        return set;
      })
      .catch((error: unknown) => {
        const failure = error instanceof Error ? error : new Error(String(error));
        this.failure = { error: failure, until: now() + failureCacheMs };
        throw failure;
      })
      .finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }
}

/**
 * How long a response may be kept, from its `Cache-Control`: `max-age`
 * in ms; 0 for `no-store` or `no-cache`; undefined when it says neither.
 */
export function maxAgeMs(cacheControl: string | undefined): number | undefined {
  if (!cacheControl) return undefined;
  let maxAge: number | undefined;
  for (const directive of cacheControl.toLowerCase().split(',')) {
    const [name, value] = directive.trim().split('=', 2) as [string, string | undefined];
    if (name === 'no-store' || name === 'no-cache') return 0;
    if (name === 'max-age' && value !== undefined && /^\d+$/.test(value.replace(/"/g, '')))
      maxAge = Number(value.replace(/"/g, '')) * 1000;
  }
  return maxAge;
}

/** The Ed25519 signing keys of a JWKS, by kid; other keys (other types, encryption keys) are left out. */
export function ed25519Keys(body: string, url: string): ReadonlyMap<string, JsonWebKey> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    throw new ParseError({ url, what: 'The JWKS is not JSON', cause: error });
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new ParseError({ url, what: "The JWKS has no 'keys' array" });
  const out = new Map<string, JsonWebKey>();
  for (const key of keys as unknown[]) {
    if (key === null || typeof key !== 'object') continue;
    const { kty, crv, x, kid, use } = key as Record<string, unknown>;
    if (kty !== 'OKP' || crv !== 'Ed25519' || typeof x !== 'string' || typeof kid !== 'string') continue;
    if (use !== undefined && use !== 'sig') continue;
    out.set(kid, { kty, crv, x });
  }
  return out;
}

function importEd25519(jwk: JsonWebKey): Promise<CryptoKey> {
  // Typed as always there, but absent on runtimes without Web Crypto.
  const subtle = (globalThis as { crypto?: Partial<Crypto> }).crypto?.subtle;
  if (!subtle)
    return Promise.reject(
      new Error(
        'Web Crypto (globalThis.crypto.subtle) is not available: ' +
          'webhook verification needs Node >= 20 or a runtime with Ed25519 in Web Crypto',
      ),
    );
  return subtle.importKey('jwk', jwk, { name: 'Ed25519' }, false, ['verify']);
}
