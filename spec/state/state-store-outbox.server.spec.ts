/**
 * stateStore()'s outbox, against the reference server: a mutation made
 * offline is kept in the outbox; the next store on it (a reload) shows it as
 * pending at start-up, before anything is read, delivers it and confirms
 * it; the stream holds it once. When the server refuses a write, the
 * refused mutation is taken back and reported on `failed$`, the outbox is
 * emptied of it, and later mutations go through (a replacement producer
 * takes the outbox); a mutation restored at start-up whose delivery is
 * refused (a 403, a closed stream) is taken back and reported too. One whose
 * outbox the store's producer could not take after the store read it, or
 * one saved there before a later save failed, is reported as still in the
 * outbox (`mayStillBeDelivered`), and delivered once by the next store that
 * takes it.
 */
import { filter, firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import {
  closeStream,
  createStream,
  ForbiddenError,
  memoryOutbox,
  OutboxError,
  OutboxLockedError,
  readJson,
  StreamClosedError,
  type DurableStream,
  type HttpTransport,
  type OutboxBatch,
  type OutboxPosition,
  type OutboxSession,
  type ProducerOutbox,
} from '../../lib/index';
import {
  createStateSchema,
  MutationFailedError,
  stateStore,
  type StateStore,
  type StateView,
} from '../../lib/state/index';
import { undiciTransport } from '../../lib/transport/undici/undici-transport';
import { startCuttableProxy, type CuttableProxy } from '../support/cuttable-proxy';
import { injectFault, realClient, serverUrl, uniquePath } from '../support/real-server';

const schema = createStateSchema({ todos: { type: 'todo', primaryKey: 'id' } });

const transport = undiciTransport();
let proxy: CuttableProxy;
beforeAll(async () => {
  proxy = await startCuttableProxy(serverUrl());
});
afterAll(async () => {
  await proxy.close();
  await transport.close();
});

const online = realClient(transport);
const messagesOf = async (stream: DurableStream) =>
  (await lastValueFrom(readJson(stream, { live: false }).pipe(toArray()))).flatMap((batch) => batch.items);

describe('stateStore() with an outbox', () => {
  it('shows what an earlier store left in the outbox at start-up, delivers it once and confirms it', async () => {
    const path = uniquePath('state-outbox');
    const stream = online.stream(path);
    await firstValueFrom(createStream(stream, { contentType: 'application/json' }));
    const outbox = memoryOutbox();

    // The app reaches the server through a link that goes down. The first store is offline: its mutation is
    // shown, saved, and never reaches the server.
    const app = realClient(transport, { baseUrl: `${proxy.origin}/v1/stream` });
    await proxy.cut();
    const first = stateStore(app.stream(path), schema, { outbox });
    const firstViews: StateView[] = [];
    const watching = first.state$.subscribe({ next: (view) => firstViews.push(view), error: () => undefined });
    first.mutate((tx) => tx.todos.insert({ id: 'a', title: 'written offline' })).subscribe({ error: () => undefined });
    await firstValueFrom(first.state$.pipe(filter((view) => view.pending.length === 1)));
    const { txid } = firstViews[firstViews.length - 1].pending[0];
    watching.unsubscribe();
    first.close();

    // A reload, back online: a new store on the same outbox.
    await proxy.restore();
    const second = stateStore(app.stream(path), schema, { outbox, live: 'sse' });
    const views: StateView[] = [];
    const following = second.state$.subscribe((view) => views.push(view));
    const restored = await firstValueFrom(second.state$.pipe(filter((view) => view.pending.length > 0)));
    expect(restored.pending.map((mutation) => mutation.txid)).toEqual([txid]);
    expect(restored.collections['todos']).toEqual({ a: { id: 'a', title: 'written offline' } });
    expect(restored.checkpoint).toBeUndefined(); // nothing read yet

    const confirmed = await firstValueFrom(
      second.state$.pipe(
        filter((view) => view.upToDate && view.pending.length === 0 && 'a' in view.collections['todos']),
      ),
    );
    expect(confirmed.collections['todos']).toEqual({ a: { id: 'a', title: 'written offline' } });
    following.unsubscribe();
    second.close();

    const stored = await messagesOf(stream);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ key: 'a', headers: { txid, operation: 'insert' } });

    // The outbox is empty now: a third store starts with nothing pending.
    const third = stateStore(app.stream(path), schema, { outbox, live: false });
    const settled = await firstValueFrom(third.state$.pipe(filter((view) => view.upToDate)));
    expect(settled.pending).toEqual([]);
    expect(settled.collections['todos']).toEqual({ a: { id: 'a', title: 'written offline' } });
    third.close();
  });
});

/** The app's client: through the proxy, whose link a test may cut (an outbox belongs to the stream's URL). */
const app = () => realClient(transport, { baseUrl: `${proxy.origin}/v1/stream` });

async function newStream(): Promise<{ stream: DurableStream; path: string }> {
  const path = uniquePath('state-refused');
  const stream = online.stream(path);
  await firstValueFrom(createStream(stream, { contentType: 'application/json' }));
  return { stream, path };
}

const pause = () => new Promise((done) => setTimeout(done, 20));

/** What the outbox holds now (opened and given up again). */
async function outboxBatches(outbox: ProducerOutbox): Promise<number> {
  const session = await outbox.open();
  await session.close();
  return session.contents.batches.length;
}

/** The store's views and failures from now on. */
function watch(store: StateStore) {
  const failures: MutationFailedError[] = [];
  const failing = store.failed$.subscribe((error) => failures.push(error));
  const views: StateView[] = [];
  const viewing = store.state$.subscribe({ next: (view) => views.push(view), error: () => undefined });
  return {
    failures,
    latest: () => views[views.length - 1],
    until: (predicate: (view: StateView) => boolean) => firstValueFrom(store.state$.pipe(filter(predicate))),
    stop: () => (viewing.unsubscribe(), failing.unsubscribe()),
  };
}

/** A store that makes mutation `id` through a cut link and is closed: the mutation stays in `outbox`. Its txid. */
async function leftInOutbox(path: string, outbox: ProducerOutbox, id: string): Promise<string> {
  await proxy.cut();
  try {
    const store = stateStore(app().stream(path), schema, { outbox });
    const watching = watch(store);
    store.mutate((tx) => tx.todos.insert({ id, title: id })).subscribe({ error: () => undefined });
    const { txid } = (await watching.until((view) => view.pending.length === 1)).pending[0];
    watching.stop();
    store.close();
    // close() gives the outbox up once the mutation is saved there.
    while ((await outboxBatches(outbox).catch(() => 0)) === 0) await pause();
    return txid;
  } finally {
    await proxy.restore();
  }
}

describe('stateStore() with an outbox, when a write is refused', () => {
  it('takes the refused mutation back, reports it, empties the outbox of it, and writes later mutations', async () => {
    const { stream } = await newStream();
    const outbox = memoryOutbox();
    const store = stateStore(stream, schema, { outbox, live: 'long-poll' });
    const watching = watch(store);
    await watching.until((view) => view.upToDate);

    await injectFault(new URL(stream.url).pathname, { status: 403, method: 'POST' });
    const refused = lastValueFrom(store.mutate((tx) => tx.todos.insert({ id: 'refused', title: 'refused' })));
    await expect(refused).rejects.toBeInstanceOf(ForbiddenError);
    expect(watching.latest().pending).toEqual([]);
    expect(watching.latest().collections['todos']).toEqual({});
    expect(watching.failures).toHaveLength(1);
    const [failure] = watching.failures;
    expect(failure).toBeInstanceOf(MutationFailedError);
    expect(failure).toMatchObject({ code: 'MUTATION_FAILED', restored: false, status: 403, url: stream.url });
    expect(failure.cause).toBeInstanceOf(ForbiddenError);
    expect(failure.changes.map((change) => change.key)).toEqual(['refused']);

    // The next mutations go through a new producer, which takes the outbox (emptied of the refused batch).
    const { txid } = await lastValueFrom(store.mutate((tx) => tx.todos.insert({ id: 'later', title: 'later' })));
    await lastValueFrom(store.mutate((tx) => tx.todos.insert({ id: 'after', title: 'after' })));
    expect(watching.latest().collections['todos']).toEqual({
      later: { id: 'later', title: 'later' },
      after: { id: 'after', title: 'after' },
    });
    expect(watching.failures).toHaveLength(1);
    watching.stop();
    store.close();

    const stored = await messagesOf(stream);
    expect(stored.map((message) => (message as { key: string }).key)).toEqual(['later', 'after']);
    expect(stored[0]).toMatchObject({ headers: { txid } });
    // Nothing left for the next store: the refused mutation is not restored.
    const next = stateStore(stream, schema, { outbox, live: false });
    const settled = await firstValueFrom(next.state$.pipe(filter((view) => view.upToDate)));
    expect(settled.pending).toEqual([]);
    expect(Object.keys(settled.collections['todos'])).toEqual(['later', 'after']);
    next.close();
    expect(await outboxBatches(outbox)).toBe(0);
  });

  it.each([
    [
      'a 403',
      ForbiddenError,
      (stream: DurableStream) => injectFault(new URL(stream.url).pathname, { status: 403, method: 'POST' }),
    ],
    ['a closed stream', StreamClosedError, (stream: DurableStream) => lastValueFrom(closeStream(stream))],
  ] as const)(
    'takes back a mutation restored from the outbox whose delivery %s refuses, and reports it',
    async (name, type, refuse) => {
      const { stream, path } = await newStream();
      const outbox = memoryOutbox();
      const txid = await leftInOutbox(path, outbox, 'offline');
      await refuse(stream);

      // A reload: the mutation shows at start-up, its delivery is refused, it leaves the view and is reported.
      const store = stateStore(app().stream(path), schema, { outbox, live: 'long-poll' });
      const watching = watch(store);
      const restored = await watching.until((view) => view.pending.length === 1);
      expect(restored.pending[0].txid).toBe(txid);
      expect(restored.collections['todos']).toEqual({ offline: { id: 'offline', title: 'offline' } });
      // Reported in the same task as the view drops it.
      await watching.until((view) => view.pending.length === 0 && !('offline' in view.collections['todos']));
      expect(watching.failures).toHaveLength(1);
      expect(watching.failures[0]).toMatchObject({ txid, restored: true, code: 'MUTATION_FAILED' });
      expect(watching.failures[0].cause).toBeInstanceOf(type);
      expect(await messagesOf(stream)).toEqual([]);

      if (name === 'a 403') {
        // The store writes on: a new producer takes the outbox, emptied of the refused batch.
        await lastValueFrom(store.mutate((tx) => tx.todos.insert({ id: 'later', title: 'later' })));
        expect((await messagesOf(stream)).map((message) => (message as { key: string }).key)).toEqual(['later']);
      }
      watching.stop();
      store.close();
      // The outbox no longer holds it (taken out once the refused producer let it go): nothing is restored next time.
      while ((await outboxBatches(outbox).catch(() => 1)) > 0) await pause();
      const next = stateStore(app().stream(path), schema, { outbox, live: false });
      const settled = await firstValueFrom(next.state$.pipe(filter((view) => view.upToDate || view.closed)));
      expect(settled.pending).toEqual([]);
      next.close();
    },
  );
});

describe('stateStore() with an outbox, when the stream was closed after an earlier try landed', () => {
  /** `transport`, its reads sent 300 ms late (an abort meanwhile rejects at once). */
  const readsLate = (inner: HttpTransport): HttpTransport => ({
    request: (request) =>
      request.method !== 'GET'
        ? inner.request(request)
        : new Promise<void>((sent, aborted) => {
            const timer = setTimeout(sent, 300);
            request.signal.addEventListener('abort', () => (clearTimeout(timer), aborted(request.signal.reason)));
          }).then(() => inner.request(request)),
  });

  /** The request an earlier store sent for `batch` (reached the server; its answer was lost with the page). */
  const sendAsBefore = async (stream: DurableStream, position: OutboxPosition, batch: OutboxBatch) => {
    const response = await fetch(stream.url, {
      method: 'POST',
      headers: {
        'content-type': batch.contentType,
        'producer-id': position.producerId,
        'producer-epoch': String(batch.epoch),
        'producer-seq': String(batch.seq),
      },
      body: batch.body && Buffer.from(batch.body),
    });
    expect(response.status).toBe(200);
  };

  it.each(['long-poll', false] as const)(
    'confirms a restored mutation that reached the stream before it closed, not take it back (live: %s)',
    async (live) => {
      const { stream, path } = await newStream();
      const outbox = memoryOutbox();
      const txid = await leftInOutbox(path, outbox, 'landed');
      const session = await outbox.open();
      const { position, batches } = session.contents;
      await session.close();
      expect(batches).toHaveLength(1);
      await sendAsBefore(stream, position!, batches[0]);
      await lastValueFrom(closeStream(stream));

      // A reload: the restored mutation's delivery is refused (the stream is closed), but the stream holds it. The
      // read starts late, so that the refusal comes before the read finds the mutation.
      const slowReads = realClient(readsLate(transport), { baseUrl: `${proxy.origin}/v1/stream` });
      const store = stateStore(slowReads.stream(path), schema, { outbox, live });
      const watching = watch(store);
      const confirmed = await watching.until((view) => view.closed && view.pending.length === 0);
      expect(confirmed.collections['todos']).toEqual({ landed: { id: 'landed', title: 'landed' } });
      // The refused producer lets the outbox go, emptied: nothing is restored next time.
      while ((await outboxBatches(outbox).catch(() => 1)) > 0) await pause();
      expect(watching.failures).toEqual([]);
      watching.stop();
      store.close();
      const stored = await messagesOf(stream);
      expect(stored).toHaveLength(1);
      expect(stored[0]).toMatchObject({ key: 'landed', headers: { txid } });
    },
  );

  it("errors a mutate() that a closed stream refuses only once the read reached the stream's end without it", async () => {
    const { stream } = await newStream();
    const store = stateStore(stream, schema, { live: 'long-poll' });
    const watching = watch(store);
    await watching.until((view) => view.upToDate);
    await lastValueFrom(closeStream(stream));
    const refused = lastValueFrom(store.mutate((tx) => tx.todos.insert({ id: 'late', title: 'late' })));
    await expect(refused).rejects.toBeInstanceOf(StreamClosedError);
    expect(watching.latest()).toMatchObject({ closed: true, pending: [] });
    expect(watching.latest().collections['todos']).toEqual({});
    expect(watching.failures.map((failure) => failure.cause)).toEqual([expect.any(StreamClosedError)]);
    watching.stop();
    store.close();
  });
  it('errors a mutate() that a closed stream refuses at once when its read (live: false) ended before the close', async () => {
    const { stream } = await newStream();
    const store = stateStore(stream, schema, { live: false });
    const watching = watch(store);
    await watching.until((view) => view.upToDate);
    await lastValueFrom(closeStream(stream));
    const refused = lastValueFrom(store.mutate((tx) => tx.todos.insert({ id: 'late', title: 'late' })));
    await expect(refused).rejects.toBeInstanceOf(StreamClosedError);
    expect(watching.latest()).toMatchObject({ closed: false, pending: [] });
    expect(watching.failures.map((failure) => failure.cause)).toEqual([expect.any(StreamClosedError)]);
    watching.stop();
    store.close();
  });
});

describe('stateStore() with an outbox held elsewhere', () => {
  it("waits for an outbox held a moment longer (a reloaded page's last document), then restores and delivers", async () => {
    const { stream, path } = await newStream();
    const outbox = memoryOutbox();
    const txid = await leftInOutbox(path, outbox, 'kept');
    const held = await outbox.open();

    const store = stateStore(app().stream(path), schema, { outbox, live: 'long-poll' });
    const watching = watch(store);
    // Still held: nothing restored, nothing read (the read waits for the outbox).
    await pause();
    expect(watching.latest().pending).toEqual([]);
    expect(watching.latest().checkpoint).toBeUndefined();
    await held.close();

    const restored = await watching.until((view) => view.pending.length === 1);
    expect(restored.pending[0].txid).toBe(txid);
    await watching.until((view) => view.upToDate && view.pending.length === 0 && 'kept' in view.collections['todos']);
    expect(watching.failures).toEqual([]);
    watching.stop();
    store.close();
    expect(await messagesOf(stream)).toEqual([
      expect.objectContaining({ key: 'kept', headers: expect.objectContaining({ txid }) }),
    ]);
  });
});

describe('stateStore() when its producer cannot take or write the outbox', () => {
  /**
   * `outbox` as the store sees it: its first open (the store reads what it holds) goes through; at the second (its
   * producer takes it) `meanwhile` happens first, another tab taking the outbox or the storage failing.
   */
  function racing(outbox: ProducerOutbox, meanwhile: () => Promise<void>): ProducerOutbox {
    let opens = 0;
    return { open: async () => (++opens === 2 && (await meanwhile()), outbox.open()) };
  }

  /** Run after each spec, passed or failed: a failed one leaves no read or held outbox behind. */
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  /** `store` with its views and failures watched, closed after the spec. */
  const watched = (store: StateStore) => {
    const watching = watch(store);
    cleanups.push(() => store.close(), watching.stop);
    return watching;
  };

  it.each([
    ['another store takes it', OutboxLockedError, false],
    ['its storage fails', OutboxError, true],
  ] as const)(
    'reports a restored mutation as not delivered by this store and not to be made again when %s; it stays in the outbox and is delivered once later',
    async (_name, type, storageFails) => {
      const { stream, path } = await newStream();
      const outbox = memoryOutbox();
      const txid = await leftInOutbox(path, outbox, 'kept');
      let other: OutboxSession | undefined;
      const seen = racing(outbox, async () => {
        if (storageFails) throw new Error('storage quota exceeded');
        other = await outbox.open();
        cleanups.push(() => other?.close());
      });

      const watching = watched(stateStore(app().stream(path), schema, { outbox: seen, live: 'long-poll' }));
      expect((await watching.until((view) => view.pending.length === 1)).pending[0].txid).toBe(txid);
      await watching.until((view) => view.pending.length === 0 && !('kept' in view.collections['todos']));
      expect(watching.failures).toHaveLength(1);
      const [failure] = watching.failures;
      expect(failure).toBeInstanceOf(MutationFailedError);
      expect(failure).toMatchObject({ txid, restored: true, mayStillBeDelivered: true, code: 'MUTATION_FAILED' });
      expect(failure.cause).toBeInstanceOf(type);
      // Told not to make it again (that would write it twice), not to make it again once the cause is dealt with.
      expect(failure.message).toContain('may still be delivered');
      expect(failure.message).toMatch(/Do not make it again[^.]*$/);
      expect(failure.message).not.toContain('make it again once');
      expect(await messagesOf(stream)).toEqual([]);

      // Still in the outbox: whoever takes it next (the other tab once reloaded, or this page's next load) delivers it,
      // and this store's read shows it then, confirmed.
      await other?.close();
      expect(await outboxBatches(outbox)).toBe(1);
      const delivering = watched(stateStore(app().stream(path), schema, { outbox, live: 'long-poll' }));
      await delivering.until(
        (view) => view.upToDate && view.pending.length === 0 && 'kept' in view.collections['todos'],
      );
      const shown = await watching.until((view) => 'kept' in view.collections['todos']);
      expect(shown.pending).toEqual([]);
      expect(await messagesOf(stream)).toEqual([
        expect.objectContaining({ key: 'kept', headers: expect.objectContaining({ txid }) }),
      ]);
      expect(watching.failures).toHaveLength(1);
      expect(delivering.failures).toEqual([]);
    },
  );

  it("reports a mutation of this store's own saved in the outbox before a later save failed as still there", async () => {
    const { stream, path } = await newStream();
    const outbox = memoryOutbox();
    /** The outbox as the store sees it: its writes fail once `full`, as storage over its quota does. */
    const storage = { full: false, saved: 0 };
    const quota: ProducerOutbox = {
      open: async () => {
        const session = await outbox.open();
        return {
          contents: session.contents,
          close: () => session.close(),
          write: async (change) => {
            if (storage.full) throw new Error('storage quota exceeded');
            await session.write(change);
            storage.saved++;
          },
        };
      },
    };
    // Offline: what is saved is not acknowledged.
    await proxy.cut();
    cleanups.push(() => proxy.restore());
    const store = stateStore(app().stream(path), schema, { outbox: quota });
    const watching = watched(store);
    const first = lastValueFrom(store.mutate((tx) => tx.todos.insert({ id: 'saved', title: 'saved' })));
    first.catch(() => undefined);
    while (storage.saved === 0) await pause();
    storage.full = true;
    const second = lastValueFrom(store.mutate((tx) => tx.todos.insert({ id: 'unsaved', title: 'unsaved' })));
    await expect(second).rejects.toBeInstanceOf(OutboxError);
    // Its own error would say to append it again: mutate() errors with the report that says not to.
    await expect(first).rejects.toMatchObject({ name: 'MutationFailedError', mayStillBeDelivered: true });
    expect(watching.latest().pending).toEqual([]);
    const byKey = (key: string) => watching.failures.find((failure) => failure.changes[0].key === key);
    expect(watching.failures).toHaveLength(2);
    // Saved before the failure: the next store on the outbox delivers it.
    expect(byKey('saved')).toMatchObject({ restored: false, mayStillBeDelivered: true });
    expect(byKey('saved')?.message).toContain('Do not make it again');
    // Never saved: nothing of it is anywhere.
    expect(byKey('unsaved')).toMatchObject({ restored: false, mayStillBeDelivered: false });
    expect(byKey('unsaved')?.message).toContain('make it again once');
    store.close();

    await proxy.restore();
    const next = watched(stateStore(app().stream(path), schema, { outbox, live: 'long-poll' }));
    await next.until((view) => view.upToDate && view.pending.length === 0 && 'saved' in view.collections['todos']);
    expect((await messagesOf(stream)).map((message) => (message as { key: string }).key)).toEqual(['saved']);
  });

  it("reports a mutation of this store's own that the producer could not save as failed, to make again", async () => {
    const { stream, path } = await newStream();
    const outbox = memoryOutbox();
    await leftInOutbox(path, outbox, 'kept');
    const store = stateStore(app().stream(path), schema, {
      outbox: racing(outbox, async () => {
        const other = await outbox.open();
        cleanups.push(() => other.close());
      }),
      live: 'long-poll',
    });
    const watching = watched(store);
    await watching.until((view) => view.pending.length === 0 && watching.failures.length === 1);

    // The other store still holds the outbox: this store's next producer cannot take it, and saved nothing of it.
    const made = lastValueFrom(store.mutate((tx) => tx.todos.insert({ id: 'new', title: 'new' })));
    await expect(made).rejects.toBeInstanceOf(OutboxLockedError);
    expect(watching.failures).toHaveLength(2);
    expect(watching.failures[1]).toMatchObject({ restored: false, mayStillBeDelivered: false });
    expect(watching.failures[1].message).toContain('make it again once');
    expect(await messagesOf(stream)).toEqual([]);
  });
});
