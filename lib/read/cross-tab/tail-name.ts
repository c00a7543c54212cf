import { defer, from, type Observable } from 'rxjs';
import type { DynamicRecord, resolveDynamic } from '../../http/dynamic-values.js';

/** What tabs must agree on to share a tail: the stream, the payload, the live mode, and what the requests carry. */
export interface TailIdentity {
  readonly url: string;
  readonly payload: string;
  readonly live: string;
  /** The client's and the read's headers and params (evaluated now: functions can not be compared across tabs). */
  readonly headers: ReadonlyArray<DynamicRecord | undefined>;
  readonly params: ReadonlyArray<DynamicRecord | undefined>;
  /** Anything else that changes the requests (retry policy, timeouts), as text. */
  readonly rest: string;
}

interface CryptoGlobals {
  readonly crypto?: { readonly subtle?: { digest(algorithm: string, data: Uint8Array): Promise<ArrayBuffer> } };
}

/**
 * The name of a tail's lock and channel. It holds a SHA-256 of what the
 * requests carry, credentials included as they evaluate now, so tabs whose
 * credentials differ never share; without Web Crypto (an insecure context)
 * the text itself, which only this origin's scripts can see.
 */
export function tailName(identity: TailIdentity, resolve: typeof resolveDynamic): Observable<string> {
  return defer(() =>
    from(
      (async () => {
        const { url, payload, live, rest } = identity;
        // Headers first, then params, as the requests evaluate them.
        const headers = await resolve(identity.headers, 'headers', url, (key) => key.toLowerCase());
        const params = await resolve(identity.params, 'params', url);
        return digest(JSON.stringify([url, payload, live, sorted(headers), sorted(params), rest]));
      })(),
    ),
  );
}

function sorted(record: Record<string, string>): Array<[string, string]> {
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

async function digest(text: string): Promise<string> {
  const subtle = (globalThis as CryptoGlobals).crypto?.subtle;
  if (!subtle) return `durable-streams-rx:tail:${text}`;
  const hash = new Uint8Array(await subtle.digest('SHA-256', new TextEncoder().encode(text)));
  return `durable-streams-rx:tail:${Array.from(hash, (byte) => byte.toString(16).padStart(2, '0')).join('')}`;
}
