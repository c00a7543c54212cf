import { isPlatformServer } from '@angular/common';
import {
  computed,
  DestroyRef,
  effect,
  NgZone,
  PendingTasks,
  PLATFORM_ID,
  signal,
  TransferState,
  untracked,
  type EffectRef,
  type Injector,
  type WritableSignal,
} from '@angular/core';
import { tap, type Observable, type OperatorFunction, type Subscription } from 'rxjs';
import {
  DurableStreamsClient,
  readJson,
  type Checkpoint,
  type ConnectionState,
  type JsonBatch,
  type LiveMode,
  type ReadOptions,
} from '../index.js';
import { statusAfterBatch, type StreamResourceStatus } from './read-status.js';
import type { StreamResourceOptions, StreamResourceRef, StreamResourceRequest } from './stream-resource.js';
import { asTransferredRead, ownsTransferKey, transferKey, type TransferKey, type TransferredRead } from './transfer.js';

/** How a resource builds its value from batches, starting from a seed (its initial value, or the server's). */
export interface ValueBuilder<V> {
  /** Part of the TransferState key: resources that build differently never take each other's value. */
  readonly kind: string;
  readonly initial: V;
  build(seed: V): OperatorFunction<JsonBatch, V>;
}

interface ConnectionReporter {
  readonly connectionState: { next(state: ConnectionState): void };
  readonly known: () => boolean;
}

interface State<V> {
  readonly status: StreamResourceStatus;
  readonly value: V;
  readonly error: Error | undefined;
  readonly upToDate: boolean;
  readonly checkpoint: Checkpoint | undefined;
  readonly hasValue: boolean;
  /** What the open read last told of its connection; undefined before it told anything, and with no read open. */
  readonly connection: ConnectionState | undefined;
}

/** Where a read's value is handed from the server render to the browser. */
interface Transfer {
  readonly state: TransferState;
  readonly key: TransferKey;
}

/** The signals and the read behind a {@link StreamResourceRef}. */
export class StreamResourceImpl<V> implements StreamResourceRef<V> {
  private readonly state: WritableSignal<State<V>>;
  readonly value = computed(() => this.state().value);
  readonly status = computed(() => this.state().status);
  readonly error = computed(() => this.state().error);
  readonly upToDate = computed(() => this.state().upToDate);
  readonly checkpoint = computed(() => this.state().checkpoint);
  readonly connection = computed(() => this.state().connection);
  readonly isLoading = computed(() => this.status() === 'connecting' || this.status() === 'catching-up');

  private readonly client: DurableStreamsClient;
  private readonly zone: NgZone;
  private readonly tasks: PendingTasks;
  private readonly server: boolean;
  private readonly transferState: TransferState | null;
  private readonly reloads = signal(0);
  private readonly effectRef: EffectRef;
  private opened: StreamResourceRequest | undefined;
  private subscription: Subscription | undefined;
  private destroyed = false;

  constructor(
    request: () => StreamResourceRequest | string | undefined,
    private readonly builder: ValueBuilder<V>,
    private readonly options: StreamResourceOptions,
    injector: Injector,
  ) {
    this.state = signal(this.idle());
    this.client = injector.get(DurableStreamsClient);
    this.zone = injector.get(NgZone);
    this.tasks = injector.get(PendingTasks);
    this.server = isPlatformServer(injector.get(PLATFORM_ID));
    this.transferState = options.transfer === false ? null : injector.get(TransferState, null);
    const current = computed(() => normalize(request()), { equal: sameRequest });
    this.effectRef = effect(
      (onCleanup) => {
        this.reloads();
        let next: StreamResourceRequest | undefined;
        try {
          next = current();
        } catch (error) {
          untracked(() => this.fail(error));
          return;
        }
        untracked(() => this.open(next));
        onCleanup(() => this.stopRead());
      },
      { injector },
    );
    injector.get(DestroyRef).onDestroy(() => this.destroy());
  }

  hasValue(): boolean {
    return this.state().hasValue;
  }

  reload(): boolean {
    if (this.destroyed || this.opened === undefined) return false;
    this.reloads.update((count) => count + 1);
    return true;
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.effectRef.destroy();
    this.stopRead();
    this.state.set(this.idle());
  }

  private open(request: StreamResourceRequest | undefined): void {
    const reloading = request !== undefined && request === this.opened;
    this.opened = request;
    if (request === undefined) return this.state.set(this.idle());
    let url: string;
    let read: (options: ReadOptions) => Observable<JsonBatch>;
    try {
      const stream = typeof request.stream === 'string' ? this.client.stream(request.stream) : request.stream;
      url = stream.url;
      read = (options) => readJson(stream, options);
    } catch (error) {
      return this.fail(error);
    }
    const live: LiveMode = this.server ? false : (request.live ?? 'auto');
    const transfer: Transfer | undefined = this.transferState
      ? {
          state: this.transferState,
          key: transferKey(url, startOf(request)?.offset ?? '-1', this.builder.kind, this.options.transferKey),
        }
      : undefined;
    const handed = transfer && !this.server && !reloading ? this.takeTransferred(transfer) : undefined;

    if (handed) {
      const position = this.positionOf(handed, live);
      this.state.set({ ...position, value: handed.value, error: undefined, hasValue: true, connection: undefined });
      // The server read all there is to read for this request: a closed stream, or a read that was never to go live.
      if (handed.closed || live === false) return;
      this.state.update((state) => ({ ...state, status: 'connecting' }));
    } else {
      this.state.update((state) =>
        reloading
          ? { ...state, status: 'connecting', error: undefined, connection: undefined }
          : { ...this.idle(), status: 'connecting' },
      );
    }
    // Catch-up holds the app's stability (a server render waits for the data); live tailing never does.
    const removeTask = this.tasks.add();
    let holding = true;
    const release = () => {
      if (!holding) return;
      holding = false;
      removeTask();
    };
    const connection = this.connectionReporter(release);
    let batches: Observable<JsonBatch>;
    try {
      // Checks its arguments at the call: a stream that is not a handle, options the read refuses.
      batches = read({
        ...readOptions(request, live, handed?.checkpoint),
        connectionState: connection.connectionState,
      });
    } catch (error) {
      release();
      return this.fail(error);
    }
    this.subscribe(
      batches,
      handed?.value ?? this.builder.initial,
      live,
      this.server ? transfer : undefined,
      release,
      connection.known,
    );
  }

  private subscribe(
    batches: Observable<JsonBatch>,
    seed: V,
    live: LiveMode,
    serverTransfer: Transfer | undefined,
    release: () => void,
    connectionKnown: () => boolean,
  ): void {
    let last: JsonBatch | undefined;
    // Outside the Angular zone: timers and sockets of a long read must not keep a zone.js app from becoming stable.
    this.subscription = this.zone.runOutsideAngular(() =>
      batches
        .pipe(
          tap((batch) => (last = batch)),
          this.builder.build(seed),
        )
        .subscribe({
          next: (value) =>
            this.zone.run(() => {
              const batch = last;
              if (!batch) return; // the builder emits only after a batch
              const position = this.positionOf(batch, live);
              this.state.update((state) => ({
                ...position,
                status: connectionKnown() && !batch.closed ? state.status : position.status,
                value,
                error: undefined,
                hasValue: true,
                connection: state.connection,
              }));
              if (serverTransfer)
                this.handOver(serverTransfer, {
                  value,
                  checkpoint: batch.checkpoint,
                  upToDate: batch.upToDate,
                  closed: batch.closed,
                });
              if (batch.upToDate) release();
            }),
          error: (error: unknown) => this.zone.run(() => (this.fail(error), release())),
          // A read that ends without EOF is a `live: false` read that caught up.
          complete: () =>
            this.zone.run(() => {
              this.state.update((state) =>
                state.status === 'closed' ? state : { ...state, status: 'resolved', connection: undefined },
              );
              release();
            }),
        }),
    );
    this.subscription.add(release);
  }

  /** Once the read reports its connection state, its status is the resource's; until then, the batches tell it. */
  private connectionReporter(release: () => void): ConnectionReporter {
    let known = false;
    const next = (connection: ConnectionState) =>
      this.zone.run(() => {
        known = true;
        this.state.update((current) => ({ ...current, status: connection.status, connection }));
        // A server render does not wait out retries: it renders what it has, and the browser goes on from there.
        if (this.server && (connection.status === 'reconnecting' || connection.status === 'offline')) release();
      });
    return { connectionState: { next }, known: () => known };
  }

  private positionOf(
    position: { readonly upToDate: boolean; readonly closed: boolean; readonly checkpoint: Checkpoint },
    live: LiveMode,
  ) {
    return { status: statusAfterBatch(position, live), upToDate: position.upToDate, checkpoint: position.checkpoint };
  }

  private handOver({ state, key }: Transfer, read: TransferredRead<V>): void {
    if (ownsTransferKey(state, key, this)) state.set(key, read);
  }

  private takeTransferred({ state, key }: Transfer): TransferredRead<V> | undefined {
    const entry = asTransferredRead<V>(state.get(key, null));
    // Used once: a later read of the same request (after a switch back, or reload) starts from its own start.
    state.remove(key);
    return entry;
  }

  private fail(error: unknown): void {
    this.stopRead();
    const failure = error instanceof Error ? error : new Error(String(error));
    this.state.update((state) => ({ ...state, status: 'error', error: failure, connection: undefined }));
  }

  private stopRead(): void {
    const subscription = this.subscription;
    this.subscription = undefined;
    subscription?.unsubscribe();
  }

  private idle(): State<V> {
    return {
      status: 'idle',
      value: this.builder.initial,
      error: undefined,
      upToDate: false,
      checkpoint: undefined,
      hasValue: false,
      connection: undefined,
    };
  }
}

function normalize(request: StreamResourceRequest | string | undefined): StreamResourceRequest | undefined {
  return typeof request === 'string' ? { stream: request } : request;
}

/** Requests with the same fields (by identity; where a read starts, by value) are the same read: no reopen. */
function sameRequest(a: StreamResourceRequest | undefined, b: StreamResourceRequest | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof StreamResourceRequest>;
  for (const key of keys) {
    if (key === 'from' || key === 'checkpoint' || key === 'offset') continue;
    if (a[key] !== b[key] && !(key === 'stream' && sameHandle(a.stream, b.stream))) return false;
  }
  const [startA, startB] = [startOf(a), startOf(b)];
  return startA?.offset === startB?.offset && startA?.cursor === startB?.cursor;
}

/** Handles count as the same stream by URL: a request that makes its handle anew (`client.stream(path)`) does not reopen. */
function sameHandle(a: StreamResourceRequest['stream'], b: StreamResourceRequest['stream']): boolean {
  return typeof a !== 'string' && typeof b !== 'string' && a.url === b.url;
}

/** Where the request's read starts, under either name (`offset` and `checkpoint` are deprecated); undefined: the beginning. */
function startOf(request: StreamResourceRequest): Checkpoint | undefined {
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- the old names work for one more release
  const from = request.from ?? request.checkpoint ?? request.offset;
  return typeof from === 'string' ? { offset: from } : from;
}

/** The request's read options, resumed from the server's checkpoint when there is one. */
function readOptions(request: StreamResourceRequest, live: LiveMode, resumeFrom: Checkpoint | undefined): ReadOptions {
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- the old names work for one more release
  const { stream: _stream, from, offset, checkpoint, ...rest } = request;
  const given = [from, offset, checkpoint].filter((start) => start !== undefined);
  // More than one: the read refuses them, saying why.
  const start = given.length > 1 ? { from, offset, checkpoint } : { from: resumeFrom ?? startOf(request) };
  return { ...rest, ...start, live };
}
