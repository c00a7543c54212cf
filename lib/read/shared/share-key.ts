import type { DynamicRecord } from '../../http/dynamic-values.js';
import type { TailRead } from '../live-reads.js';

/** How a function is told by identity in a key. */
type Identity = (value: object) => number;

/** The function's identity as a number, from one numbering: the same function, the same number, for as long as it lives. */
function numbering(): Identity {
  const ids = new WeakMap<object, number>();
  let nextId = 0;
  return (value) => {
    let id = ids.get(value);
    if (id === undefined) ids.set(value, (id = nextId++));
    return id;
  };
}

/** Headers or params as text: strings by value, functions (evaluated per request) by identity; names sorted. */
function recordKey(record: DynamicRecord | undefined, identity: Identity): string {
  if (!record) return '';
  return Object.keys(record)
    .sort()
    .map((name) => {
      const value = record[name];
      return `${name}=${typeof value === 'function' ? `fn#${identity(value)}` : JSON.stringify(value)}`;
    })
    .join('&');
}

/** What {@link shareKeys} gives: the key of a live read's tail. */
export type ShareKey = (read: TailRead) => string;

/**
 * The keys of one client's shared tails, each with its own numbering of the
 * functions it meets (a client's tail registry keeps one), so no table
 * outlives or spans clients.
 *
 * What two live reads of one client must have in common to share a tail:
 * the stream URL, the payload they decode, the live mode, and everything
 * their requests carry or do differently: headers and params (credentials
 * among them; a function counts as itself, not as what it returns), the
 * `onError` handler, the retry policy and the timeouts. Reads that differ
 * in any of these never share.
 */
export function shareKeys(): ShareKey {
  const identity = numbering();
  return ({ url, payload, options }) => {
    const { live, headers, params, onError, retry, longPollTimeoutMs, sseFallbackTimeoutMs, sseIdleTimeoutMs } =
      options;
    const { learnsLiveness } = options;
    return [
      url,
      payload,
      String(live),
      recordKey(headers, identity),
      recordKey(params, identity),
      onError ? `onError#${identity(onError)}` : '',
      JSON.stringify(retry),
      `${longPollTimeoutMs}/${sseFallbackTimeoutMs}/${sseIdleTimeoutMs}`,
      `${learnsLiveness.longPoll}/${learnsLiveness.sse}`,
    ].join('\n');
  };
}
