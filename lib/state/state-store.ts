import {
  BehaviorSubject,
  concat,
  defer,
  EMPTY,
  first,
  ignoreElements,
  map,
  merge,
  of,
  share,
  Subject,
  switchMap,
  take,
  takeUntil,
  tap,
  type Observable,
} from 'rxjs';
import { InvalidArgumentError } from '../errors/client-errors.js';
import { StreamClosedError } from '../errors/http-errors.js';
import { streamContextOf, type DurableStream } from '../http/stream-handle.js';
import type { ProducerOutbox } from '../produce/outbox/producer-outbox.js';
import { ProducerClosedError } from '../produce/producer-errors.js';
import { Offset, type Checkpoint } from '../protocol/offset.js';
import type { JsonBatch } from '../read/chunk.js';
import { readJson } from '../read/read-stream.js';
import { describeValue } from '../util/describe-value.js';
import { changeHelpers, type CollectionEventHelpers } from './change-helpers.js';
import { nullRecord, seed, type CollectionMap } from './collections.js';
import { decodeChanges, type CollectionRoute, type DecodeContext } from './decode-changes.js';
import { MutationFailedError } from './mutation-failed-error.js';
import { MutationWriter } from './mutation-writer.js';
import { savedMutations } from './saved-mutations.js';
import { initialState, readBackBy, reduceStore, type StoreEvent, type StoreState } from './overlay.js';
import type { CollectionDefinition, EntitiesOf, StateSchema } from './schema.js';
import type { MutationResult, StateStore, StateStoreOptions } from './state-store-options.js';
import type { StateValidationError } from './state-validation-error.js';
import type { PendingMutation, StateCollections, StateView } from './state-view.js';
import { recordTransaction, type Transaction } from './transaction.js';
import { newTxid } from './txid.js';
import { whenReleased } from './when-released.js';

/** How a mutation ended: read back (no error), or its write failed. */
interface Outcome {
  readonly txid: string;
  readonly error?: unknown;
}

/**
 * A State Protocol stream as a store with optimistic mutations (see
 * {@link StateStore}). The view is `collections` by the schema's names.
 * Makes no request until `state$` or `mutate()` is subscribed.
 *
 * ```ts
 * const store = stateStore(client.stream('todos'), schema);
 * store.state$.subscribe((view) => render(Object.values(view.collections.todos)));
 * store.mutate((tx) => tx.todos.insert({ id: '1', title: 'Milk', done: false })).subscribe();
 * ```
 *
 * Any handle: the schema types the store (a handle typed `StateMessageOf<typeof schema>` agrees with it).
 *
 * @throws InvalidArgumentError For a stream that is no handle, a schema without collections, or a bad option.
 */
export function stateStore<S extends StateSchema>(
  stream: DurableStream,
  schema: S,
  options: StateStoreOptions<EntitiesOf<S>> = {},
): StateStore<EntitiesOf<S>> {
  return new StateStoreImpl<EntitiesOf<S>>(stream, schema, options);
}

class StateStoreImpl<Entities extends object> implements StateStore<Entities> {
  readonly state$: Observable<StateView<Entities>>;
  readonly invalid$: Observable<StateValidationError>;
  readonly failed$: Observable<MutationFailedError>;

  private state: StoreState;
  private readonly views: BehaviorSubject<StateView<Entities>>;
  private readonly outcomes = new Subject<Outcome>();
  private readonly invalid = new Subject<StateValidationError>();
  private readonly failed = new Subject<MutationFailedError>();
  /** The txids of the mutations the outbox held at start-up. */
  private readonly restored = new Set<string>();
  private readonly closing = new Subject<void>();
  private readonly read$: Observable<never>;
  private readonly writer: MutationWriter;
  private readonly empty: CollectionMap;
  private readonly helpers: Readonly<Record<string, CollectionEventHelpers<unknown>>>;
  private readonly decoding: DecodeContext;
  private readonly url: string;
  private closed = false;
  private restoring: Promise<void> | undefined;
  private shownPending: { readonly from: StoreState['pending']; readonly list: readonly PendingMutation[] } | undefined;

  constructor(stream: DurableStream, schema: StateSchema, options: StateStoreOptions<Entities>) {
    this.url = streamContextOf(stream).url;
    const { routes, helpers } = routesOf(schema);
    this.helpers = helpers;
    // Checked at run time too: JavaScript callers pass anything.
    const onInvalid: unknown = options.onInvalid ?? 'error';
    if (onInvalid !== 'error' && onInvalid !== 'skip')
      throw new InvalidArgumentError(
        `stateStore(): \`onInvalid\` must be 'error' or 'skip', got ${describeValue(onInvalid)}`,
      );
    this.decoding = { routes, onInvalid, url: this.url };
    const empties = nullRecord<Readonly<Record<string, unknown>>>();
    for (const name of Object.keys(helpers)) empties[name] = Object.freeze(nullRecord());
    this.empty = Object.freeze(empties);
    const { initial } = options;
    const start = initial
      ? seed(initial.collections, this.empty, new Set(Object.keys(helpers)), 'ignore', 'stateStore()')
      : this.empty;
    if (initial && typeof (initial.checkpoint as Partial<Checkpoint> | undefined)?.offset !== 'string')
      throw new InvalidArgumentError('stateStore(): `initial.checkpoint` must be a checkpoint ({ offset, cursor? })');
    this.state = initialState(start, initial && { checkpoint: initial.checkpoint, upToDate: false, closed: false });
    this.views = new BehaviorSubject(this.viewOf(this.state));
    this.invalid$ = this.invalid.asObservable();
    this.failed$ = this.failed.asObservable();
    const { outbox } = options;
    this.writer = new MutationWriter(stream, { ...options.producer, outbox }, (txid, error, inOutbox) =>
      this.settle(txid, error, inOutbox),
    );

    const live = options.live ?? 'auto';
    const connectionState = { next: (state: StateView['connection']) => this.dispatch({ kind: 'connection', state }) };
    // One read for every subscriber; it goes on from where the last one stood, so a state kept between reads stays right.
    // With an outbox, what it holds is shown (and its delivery started) before anything is read, once per store.
    const restored = outbox ? defer(() => (this.restoring ??= this.restore(outbox))) : of(undefined);
    this.read$ = restored.pipe(
      switchMap(() => {
        const from = this.state.position?.checkpoint ?? Offset.beginning;
        return readJson(stream, { ...options.read, from, live, connectionState });
      }),
      tap((batch) => this.read(batch)),
      ignoreElements(),
      takeUntil(this.closing),
      share({ resetOnError: true, resetOnComplete: false, resetOnRefCountZero: true }),
    );
    this.state$ = merge(this.views, this.read$).pipe(takeUntil(this.closing));
  }

  mutate(recipe: (tx: Transaction<Entities>) => void): Observable<MutationResult> {
    return defer(() => {
      if (this.closed) throw this.closedError('takes no more mutations');
      const txid = newTxid();
      const view = this.state.view;
      const changes = recordTransaction(this.helpers, view, txid, recipe as (tx: Transaction<object>) => void);
      if (changes.length === 0) return EMPTY;
      const { ops } = decodeChanges(changes, undefined, { ...this.decoding, onInvalid: 'error' });
      const outcome$ = this.outcomes.pipe(
        first((outcome) => outcome.txid === txid),
        map((outcome) => {
          if ('error' in outcome) throw outcome.error;
          return { txid };
        }),
      );
      // Subscribed in this order: the outcome is awaited before the change is applied and written, and the read runs until it comes.
      const begin = defer(() => {
        this.dispatch({ kind: 'mutate', txid, changes, ops });
        this.writer.write(txid, changes);
        return EMPTY;
      });
      return merge(outcome$, this.read$, begin).pipe(take(1));
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const { mutation } of this.state.pending)
      this.outcomes.next({
        txid: mutation.txid,
        error: this.closedError(`was closed before mutation ${mutation.txid} was read back; it is still delivered`),
      });
    this.closing.next();
    this.closing.complete();
    this.writer.close();
    this.views.complete();
    this.invalid.complete();
    this.failed.complete();
  }

  /** Shows the mutations `outbox` holds as pending, and has the writer deliver them under their producer id. */
  private restore(outbox: ProducerOutbox): Promise<void> {
    // A reloaded page's last document may hold the outbox a moment longer.
    const saved = whenReleased(
      () => savedMutations(outbox, this.url),
      () => this.closed,
    );
    this.writer.resumeAfter(saved);
    return saved.then(({ mutations }) => {
      for (const { txid, changes } of mutations) {
        const { ops } = decodeChanges(changes, undefined, { ...this.decoding, onInvalid: 'error' });
        this.restored.add(txid);
        this.dispatch({ kind: 'mutate', txid, changes, ops });
      }
    });
  }

  private read(batch: JsonBatch): void {
    const changes = decodeChanges(batch.items, batch.offset, this.decoding);
    this.dispatch({ kind: 'batch', changes, position: batch });
    for (const error of changes.invalid) this.invalid.next(error);
  }

  /** A write ended: delivered, or failed (the mutation is dropped from the view, and reported; `inOutbox`: see WriteReport). */
  private settle(txid: string, error?: unknown, inOutbox = false): void {
    if (error === undefined) return this.dispatch({ kind: 'delivered', txid });
    // Refused by a closed stream, a write may still have landed before the close (an earlier try whose answer was
    // lost: the server checks closure before duplicates). Closed, the stream takes nothing more: read to its end, it tells.
    if (error instanceof StreamClosedError && !inOutbox) return this.settleAtEnd(txid, error);
    this.fail(txid, error, inOutbox);
  }

  /**
   * Confirmed if the read finds the mutation before the stream's end; failed with `error` if not, if the read fails,
   * or if it is over short of the end (`live: false`, done before the close): it would find nothing more.
   */
  private settleAtEnd(txid: string, error: StreamClosedError): void {
    const pending = () => this.state.pending.some(({ mutation }) => mutation.txid === txid);
    merge(concat(this.read$, of(undefined)), this.views)
      .pipe(
        first((view) => view === undefined || view.closed || !pending()),
        takeUntil(this.closing),
      )
      .subscribe({
        next: () => pending() && this.fail(txid, error, false),
        error: () => this.fail(txid, error, false),
      });
  }

  private fail(txid: string, error: unknown, inOutbox: boolean): void {
    const dropped = this.state.pending.find(({ mutation }) => mutation.txid === txid)?.mutation;
    this.dispatch({ kind: 'failed', txid });
    let report: MutationFailedError | undefined;
    if (dropped && !this.closed) {
      const restored = this.restored.has(txid);
      report = new MutationFailedError({
        url: this.url,
        txid,
        changes: dropped.changes,
        restored,
        cause: error,
        mayStillBeDelivered: inOutbox,
      });
      this.failed.next(report);
    }
    // mutate() errors with the write's error, but for a mutation still in the outbox with the report: that error's own
    // advice (hand the values back, append them again) would have it written twice.
    this.outcomes.next({ txid, error: inOutbox && report ? report : error });
  }

  private dispatch(event: StoreEvent): void {
    if (this.closed) return;
    const before = this.state;
    const after = (this.state = reduceStore(before, event, this.empty));
    if (after === before) return;
    this.views.next(this.viewOf(after));
    if (event.kind === 'batch') for (const txid of readBackBy(before, after)) this.outcomes.next({ txid });
  }

  private viewOf(state: StoreState): StateView<Entities> {
    const { connection, position } = state;
    if (this.shownPending?.from !== state.pending)
      this.shownPending = { from: state.pending, list: Object.freeze(state.pending.map(({ mutation }) => mutation)) };
    return Object.freeze({
      collections: state.view as StateCollections<Entities>,
      pending: this.shownPending.list,
      upToDate: position?.upToDate ?? false,
      status: connection.status,
      connection,
      checkpoint: position?.checkpoint,
      closed: position?.closed ?? false,
      snapshotInProgress: state.snapshotInProgress,
    });
  }

  private closedError(what: string): ProducerClosedError {
    return new ProducerClosedError({
      url: this.url,
      producerId: 'stateStore',
      reason: 'finished',
      what: `The state store of ${this.url} ${what}`,
    });
  }
}

/** Each collection of the schema: its route by entity type, and its change helpers by name. */
function routesOf(schema: StateSchema): {
  routes: Map<string, CollectionRoute>;
  helpers: Record<string, CollectionEventHelpers<unknown>>;
} {
  const routes = new Map<string, CollectionRoute>();
  const helpers = nullRecord<CollectionEventHelpers<unknown>>();
  const entries: [string, Partial<CollectionDefinition> | undefined][] =
    typeof schema === 'object' && (schema as unknown) !== null ? Object.entries(schema) : [];
  for (const [name, definition] of entries) {
    const { type, primaryKey } = definition ?? {};
    if (typeof type !== 'string' || typeof primaryKey !== 'string')
      throw new InvalidArgumentError(
        `stateStore(): collection "${name}" of the schema has no \`type\` and \`primaryKey\`: make the schema with createStateSchema()`,
      );
    routes.set(type, { name, schema: definition?.schema });
    helpers[name] = changeHelpers(name, { type, primaryKey, schema: definition?.schema });
  }
  if (routes.size === 0)
    throw new InvalidArgumentError('stateStore(): the schema has no collections: make it with createStateSchema()');
  return { routes, helpers };
}
