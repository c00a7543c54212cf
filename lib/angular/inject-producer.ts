import { isPlatformServer } from '@angular/common';
import {
  assertInInjectionContext,
  computed,
  DestroyRef,
  inject,
  Injector,
  NgZone,
  PLATFORM_ID,
  signal,
  type Signal,
} from '@angular/core';
import {
  DurableStreamsClient,
  InvalidArgumentError,
  tabProducer,
  type DurableStream,
  type DurableStreamError,
  type IdempotentProducer,
  type ProducerStatus,
  type TabProducerOptions,
} from '../index.js';

/** Options of {@link injectProducer}: the tab producer's, and where to make it. */
export interface InjectProducerOptions extends TabProducerOptions {
  /** The injector to make it in; needed outside an injection context. */
  readonly injector?: Injector;
}

/** A tab producer as signals: made by {@link injectProducer}, stopped with its injector. */
export interface ProducerRef<T> {
  /**
   * Appends `value` (fire-and-forget): saved in the tab's outbox, then sent;
   * as `IdempotentProducer.append()` (it throws on a value it cannot send, a
   * full buffer, a stopped producer). On the server it throws: appends
   * belong to the browser.
   */
  append(value: T): void;
  /** Where deliveries stand: `delivered`, `sending`, `offline` or `saved` (see `ProducerStatus`). */
  readonly status: Signal<ProducerStatus['state']>;
  /** Values appended and not yet acknowledged by the server (those a reload found in the outbox included). */
  readonly pending: Signal<number>;
  /** Of those, how many are saved in the outbox: they survive a reload, a crash and a closed tab. */
  readonly saved: Signal<number>;
  /** The last error the producer reported (the one that stopped it, or a refused value); undefined before any. */
  readonly error: Signal<DurableStreamError | undefined>;
  /** The producer itself (`saved()`, `flush()`, `acks$`...); undefined on the server. */
  readonly producer: IdempotentProducer<T> | undefined;
}

/**
 * A `tabProducer()` of `stream` (a handle, or a path of the provided
 * client) whose delivery state is signals, for as long as the injector
 * lives: a compose box whose messages survive a reload, a closed tab and a
 * lost network, with a "3 waiting" badge.
 *
 * ```ts
 * readonly outbox = injectProducer<Message>('rooms/42', 'compose');
 * // template: <button (click)="outbox.append({ text })">Send</button> {{ outbox.pending() }} waiting
 * ```
 *
 * When the injector is destroyed, the producer waits until what was
 * appended is saved in the outbox, then stops (`abort()`): what the server
 * has not acknowledged stays in the outbox, and the next producer on it (this
 * tab's next component or document, or another tab) delivers it. Finishing
 * instead would keep a destroyed component's requests, and the outbox's
 * lock, for as long as the network is away, and nothing would be gained:
 * saved values are not lost by stopping.
 *
 * On the server (a server render) no producer is made and nothing is
 * opened: the signals say `delivered` with nothing pending, and `append()`
 * throws. The producer runs outside the Angular zone; signals are set inside it.
 */
export function injectProducer<T = unknown>(
  stream: DurableStream<T> | string,
  name: string,
  options: InjectProducerOptions = {},
): ProducerRef<T> {
  checkArguments(stream, name, options);
  if (!options.injector) assertInInjectionContext(injectProducer);
  const { injector = inject(Injector), ...producerOptions } = options;
  const handle = typeof stream === 'string' ? injector.get(DurableStreamsClient).stream<T>(stream) : stream;
  if (isPlatformServer(injector.get(PLATFORM_ID))) return onServer(handle.url);
  const zone = injector.get(NgZone);
  const producer = zone.runOutsideAngular(() => tabProducer(handle, name, producerOptions));
  const status = signal<ProducerStatus>({ state: 'delivered', pending: 0, saved: 0 });
  const error = signal<DurableStreamError | undefined>(undefined);
  const subscription = zone.runOutsideAngular(() =>
    producer.status$.subscribe((next) => zone.run(() => status.set(next))),
  );
  subscription.add(producer.errors$.subscribe((failure) => zone.run(() => error.set(failure))));
  injector.get(DestroyRef).onDestroy(() => {
    subscription.unsubscribe();
    // Saved, then stopped: the outbox keeps what is not delivered, for the next producer on it.
    const stop = () => producer.abort();
    zone.runOutsideAngular(() => producer.saved().subscribe({ next: stop, error: stop, complete: stop }));
  });
  return {
    append: (value) => zone.runOutsideAngular(() => producer.append(value)),
    status: computed(() => status().state),
    pending: computed(() => status().pending),
    saved: computed(() => status().saved),
    error: error.asReadonly(),
    producer,
  };
}

/** Refuses a bad call at once, in the browser and on the server alike (where no producer is made to check it). */
function checkArguments(stream: unknown, name: unknown, options: unknown): void {
  const refuse = (what: string, value: unknown) =>
    new InvalidArgumentError(
      `injectProducer(stream, name, options): ${what}, got ${JSON.stringify(value) ?? typeof value}`,
    );
  if (typeof stream !== 'string' && (typeof stream !== 'object' || stream === null))
    throw refuse('stream must be a path of the provided client or a stream handle', stream);
  if (typeof name !== 'string' || name === '') throw refuse('name must be a non-empty string', name);
  if (typeof options !== 'object' || options === null) throw refuse('options must be an object', options);
}

function onServer<T>(url: string): ProducerRef<T> {
  return {
    append: () => {
      throw new Error(
        `injectProducer(): no appends during a server render (${url}): a producer's outbox lives in the browser`,
      );
    },
    status: signal('delivered' as const).asReadonly(),
    pending: signal(0).asReadonly(),
    saved: signal(0).asReadonly(),
    error: signal(undefined).asReadonly(),
    producer: undefined,
  };
}
