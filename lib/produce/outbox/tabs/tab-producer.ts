import { checkOptionsObject, mustBe } from '../../../errors/argument-checks.js';
import { InvalidArgumentError } from '../../../errors/client-errors.js';
import { streamContextOf, type DurableStream } from '../../../http/stream-handle.js';
import type { IdempotentProducer } from '../../idempotent-producer.js';
import { idempotentProducer } from '../../idempotent-producer-of.js';
import { resolveProducerOptions, type ProducerOptions } from '../../producer-options.js';
import { DEFAULT_OUTBOX_DATABASE } from '../indexed-db/indexed-db-outbox.js';
import { outboxClaims } from './outbox-claims.js';
import { tabOutbox } from './tab-outbox.js';
import { pageSession, randomProducerId, tabProducerId } from './tab-producer-id.js';

/** Options of {@link tabProducer}: the producer's, but its outbox and epoch, which the tab producer chooses. */
export interface TabProducerOptions extends Omit<ProducerOptions, 'outbox' | 'epoch'> {
  /** The IndexedDB database of the app's outboxes (default `'durable-streams-rx'`), as `indexedDbOutbox()`'s. */
  readonly database?: string;
}

/**
 * An idempotent producer for this browser tab whose values survive the
 * page: saved in an IndexedDB outbox (`indexedDbOutbox()`) before they are
 * sent, and delivered exactly once, in order, after a reload, a crash, or
 * by the next tab once this one is closed. `name` names the kind of writes
 * (`'compose'`): every tab of the app gets a producer id and an outbox of its
 * own under that name, so tabs appending at once never fence each other.
 *
 * - **Across reloads:** the tab keeps its producer id (in its session
 *   storage), so its next document finds its outbox and sends what it holds
 *   first, then its new values: the order of the tab's writes holds.
 * - **A closed tab's values:** the next tab of the app that makes a tab
 *   producer on the same stream and name delivers them, beside its own,
 *   under that tab's producer id, epoch and seqs; one tab at a time, chosen
 *   by Web Locks. If the closed tab comes back (restored), it takes them back.
 * - **Each new document** starts a new epoch (the clock's, `Date.now()`)
 *   once what its outbox held is delivered: an outbox the browser lost
 *   (storage cleared, evicted) can never make the server take new values
 *   for repeats of old ones.
 *
 * Without the Web Locks API (plain http from a host other than localhost)
 * each tab still writes with its own id and outbox, but nothing is delivered
 * for a closed tab: its values wait until it is restored. The outbox cannot
 * be opened on a server (a server render): make the producer in the browser.
 */
export function tabProducer<T = unknown>(
  stream: DurableStream<T>,
  name: string,
  options: TabProducerOptions = {},
): IdempotentProducer<T> {
  const { url } = streamContextOf(stream);
  if (typeof name !== 'string' || name === '')
    throw new InvalidArgumentError('tabProducer(stream, name): the name must be a non-empty string', url);
  checkOptionsObject(options, url);
  const { database = DEFAULT_OUTBOX_DATABASE, ...producerOptions } = options;
  if (typeof database !== 'string' || database === '')
    throw mustBe('options.database', 'a non-empty string', database, url);
  // Checked before this tab's id is taken and kept: a bad call leaves nothing behind.
  resolveProducerOptions('tab', producerOptions, url);
  const { storage, events } = pageSession();
  const kind = `tabs/${encodeURIComponent(name)}/`;
  const producerId = tabProducerId(`durable-streams-rx ${database}/${kind}`, storage, events, randomProducerId);
  const outbox = tabOutbox(`${kind}${producerId}`, {
    stream,
    database,
    prefix: kind,
    options: producerOptions,
    claims: outboxClaims(database),
    onError: producerOptions.onError,
  });
  return idempotentProducer(stream, producerId, { ...producerOptions, outbox, epoch: Date.now() });
}
