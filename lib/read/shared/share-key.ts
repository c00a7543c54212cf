import type { DynamicRecord } from '../../http/dynamic-values.js';
import type { ResolvedReadOptions } from '../resolve-read-options.js';

const ids = new WeakMap<object, number>();
let nextId = 0;

/** A function's identity as a number: the same function, the same number, for as long as it lives. */
function identity(value: object): number {
  let id = ids.get(value);
  if (id === undefined) ids.set(value, (id = nextId++));
  return id;
}

/** Headers or params as text: strings by value, functions (evaluated per request) by identity; names sorted. */
function recordKey(record: DynamicRecord | undefined): string {
  if (!record) return '';
  return Object.keys(record)
    .sort()
    .map((name) => {
      const value = record[name];
      return `${name}=${typeof value === 'function' ? `fn#${identity(value)}` : JSON.stringify(value)}`;
    })
    .join('&');
}

/**
 * What two live reads of one client must have in common to share a tail:
 * the stream URL, the payload they decode, the live mode, and everything
 * their requests carry or do differently: headers and params (credentials
 * among them; a function counts as itself, not as what it returns), the
 * `onError` handler, the retry policy and the timeouts. Reads that differ
 * in any of these never share.
 */
export function shareKey(url: string, payload: string, options: ResolvedReadOptions): string {
  const { live, headers, params, onError, retry, longPollTimeoutMs, sseFallbackTimeoutMs, sseIdleTimeoutMs } = options;
  return [
    url,
    payload,
    String(live),
    recordKey(headers),
    recordKey(params),
    onError ? `onError#${identity(onError)}` : '',
    JSON.stringify(retry),
    `${longPollTimeoutMs}/${sseFallbackTimeoutMs}/${sseIdleTimeoutMs}`,
  ].join('\n');
}
