/**
 * The Angular example's todo list (`?view=todos`: injectStateStore() with an
 * IndexedDB outbox, examples/angular-feed/src/app/todos.component.ts) in two
 * browser contexts of Debian's headless Chromium (two users: each context its
 * own IndexedDB, network and offline switch), against the real reference
 * server. What it proves: a change renders before the server has it (the
 * page's writes are held on their way, the stream is read meanwhile from
 * Node); a page that edits while offline keeps its edits through a reload,
 * delivers them once back online, and both pages end equal to each other and
 * to the stream; the stream holds every change once (counted by txid). The
 * page's network to the streams server is cut (Playwright's routing, and
 * the streams server refusing that context's requests) or held (routing);
 * the server render reaches the streams server directly.
 */
import type { BrowserContext, Page, Route } from 'playwright-core';
import { firstValueFrom } from 'rxjs';
import { closeStream, collectItems, readJson } from '../lib/index';
import { eventually, launchChromiumContexts, watchPage, type Browsers } from './support/chromium';
import { startExampleServers, type ExampleServers } from './support/example-servers';

let servers: ExampleServers;
let browsers: Browsers;
let contexts: BrowserContext[] = [];
let pageErrors: string[] = [];

beforeAll(async () => {
  servers = await startExampleServers('e2e-todos');
  browsers = await launchChromiumContexts();
});

afterAll(async () => {
  await browsers?.close();
  await servers?.close();
});

afterEach(async () => {
  for (const context of contexts) await context.close();
  contexts = [];
  const errors = pageErrors;
  pageErrors = [];
  expect(errors).toEqual([]);
});

const USER_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome Safari/537.36';
const tags = new WeakMap<BrowserContext, string>();
let users = 0;

/** A user: a browser context of its own (its own IndexedDB outbox), with the todo list of `path` open. */
async function openUser(path: string): Promise<{ context: BrowserContext; page: Page }> {
  // Tagged, so that the streams server can tell this user's requests from the other's (see cut()).
  const tag = `e2e-user-${++users}`;
  const context = await browsers.newContext({ userAgent: `${USER_AGENT} ${tag}` });
  tags.set(context, tag);
  contexts.push(context);
  const page = watchPage(await context.newPage(), pageErrors);
  await openTodos(page, path);
  return { context, page };
}

/** Loads (or reloads) the todo list and waits until it runs in the browser and its read caught up or waits. */
async function openTodos(page: Page, path: string): Promise<void> {
  await page.goto(`${servers.site.url}/?${new URLSearchParams({ view: 'todos', stream: path })}`);
  await page.locator('[data-testid=todo-status][data-browser=true]').waitFor({ timeout: 15_000 });
}

interface Row {
  readonly id: string;
  readonly title: string;
  readonly done: boolean;
  readonly waiting: boolean;
}

/** The list as the page shows it, in its order. */
async function rows(page: Page): Promise<Row[]> {
  return page.getByTestId('todo').evaluateAll((items) =>
    items.map((item) => ({
      id: item.getAttribute('data-id') ?? '',
      title: item.getAttribute('data-title') ?? '',
      done: item.getAttribute('data-done') === 'true',
      waiting: item.getAttribute('data-waiting') === 'true',
    })),
  );
}

const titles = async (page: Page) => (await rows(page)).map(({ title, done }) => (done ? `${title} (done)` : title));

interface Status {
  readonly status: string | null;
  readonly pending: number;
  readonly upToDate: boolean;
}

async function status(page: Page): Promise<Status> {
  const line = page.getByTestId('todo-status');
  const [state, pending, upToDate] = await Promise.all(
    ['data-status', 'data-pending', 'data-up-to-date'].map((name) => line.getAttribute(name)),
  );
  return { status: state, pending: Number(pending), upToDate: upToDate === 'true' };
}

/** Waits until the page's status line says `expected`. */
async function statusIs(page: Page, expected: Partial<Status>, timeout = 20_000): Promise<void> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const now = await status(page);
    if (Object.entries(expected).every(([key, value]) => now[key as keyof Status] === value)) return;
    if (Date.now() > deadline) expect(now).toMatchObject(expected);
    await page.waitForTimeout(50);
  }
}

async function add(page: Page, title: string): Promise<void> {
  await page.getByTestId('todo-title').fill(title);
  await page.getByTestId('todo-add').click();
}

const row = (page: Page, title: string) => page.locator(`[data-testid=todo][data-title="${title}"]`);

async function toggle(page: Page, title: string): Promise<void> {
  await row(page, title).getByTestId('todo-done').click();
}

async function remove(page: Page, title: string): Promise<void> {
  await row(page, title).getByTestId('todo-delete').click();
}

interface StoredChange {
  readonly type: string;
  readonly key: string;
  readonly value?: unknown;
  readonly headers: { readonly operation: string; readonly txid?: string };
}

/** Every message the stream stores, in order. */
async function stored(path: string): Promise<StoredChange[]> {
  return (await firstValueFrom(
    readJson(servers.client.stream(path), { live: false }).pipe(collectItems()),
  )) as unknown as StoredChange[];
}

interface StoredTodo {
  readonly id: string;
  readonly title: string;
  readonly done: boolean;
  readonly created: number;
}

/** The todo list the stream's messages make, in the pages' order (by creation). */
async function streamTodos(path: string): Promise<string[]> {
  const todos = new Map<string, StoredTodo>();
  for (const message of await stored(path))
    if (message.headers.operation === 'delete') todos.delete(message.key);
    else todos.set(message.key, message.value as StoredTodo);
  return [...todos.values()]
    .sort((a, b) => a.created - b.created || (a.id < b.id ? -1 : 1))
    .map(({ title, done }) => (done ? `${title} (done)` : title));
}

/** Holds every write of `context` to the streams server until released (reads go through). */
async function holdWrites(context: BrowserContext): Promise<{ held: () => number; release: () => Promise<void> }> {
  let held = 0;
  let release!: () => void;
  const gate = new Promise<void>((done) => (release = done));
  const handler = async (route: Route) => {
    if (route.request().method() !== 'POST') return route.continue();
    held++;
    await gate;
    await route.continue().catch(() => undefined);
  };
  await context.route(`${servers.streams.url}/**`, handler);
  return {
    held: () => held,
    release: async () => {
      release();
      await context.unroute(`${servers.streams.url}/**`, handler);
    },
  };
}

/**
 * Cuts `context` off the streams server: every request to it fails as a refused connection. The streams server
 * refuses the context's requests too: in one CI run a write the test meant to keep from the server reached it all
 * the same (how it passed the route is not known), and what a cut user's page sends must not be written.
 */
async function cut(context: BrowserContext): Promise<() => Promise<void>> {
  const handler = (route: Route) => route.abort('connectionrefused');
  const tag = tags.get(context);
  if (!tag) throw new Error('cut(): not a context of openUser()');
  const refusing = servers.streams.refuse((request) => request.headers['user-agent']?.endsWith(` ${tag}`) === true);
  await context.route(`${servers.streams.url}/**`, handler);
  return async () => {
    await context.unroute(`${servers.streams.url}/**`, handler);
    refusing.stop();
  };
}

/** The batches the page's outbox for `path` holds (the example's: `todos <path>`, in IndexedDB's default database). */
async function outboxBatches(page: Page, path: string): Promise<number> {
  return page.evaluate(
    (name) =>
      new Promise<number>((done, fail) => {
        const opening = indexedDB.open('durable-streams-rx');
        opening.onerror = () => fail(opening.error ?? new Error('IndexedDB did not open'));
        opening.onsuccess = () => {
          const db = opening.result;
          const counting = db
            .transaction('batches', 'readonly')
            .objectStore('batches')
            .count(IDBKeyRange.bound([name], [name, []]));
          counting.onerror = () => fail(counting.error ?? new Error('IndexedDB did not count'));
          counting.onsuccess = () => (db.close(), done(counting.result));
        };
      }),
    `todos ${path}`,
  );
}

/** Counts the stream's messages by txid. */
function byTxid(messages: readonly StoredChange[]): Map<string | undefined, number> {
  const counts = new Map<string | undefined, number>();
  for (const { headers } of messages) counts.set(headers.txid, (counts.get(headers.txid) ?? 0) + 1);
  return counts;
}

describe('the todo list (injectStateStore, IndexedDB outbox) in two browser contexts', () => {
  it('shows a change before the server has it; the other user sees it once it is in the stream', async () => {
    const path = await servers.newStream('optimistic');
    const ada = await openUser(path);
    const bob = await openUser(path);
    await statusIs(ada.page, { upToDate: true });
    await statusIs(bob.page, { upToDate: true });

    // Ada's writes are held on their way: her change is on her page, waiting, and not in the stream.
    const held = await holdWrites(ada.context);
    await add(ada.page, 'milk');
    await row(ada.page, 'milk').waitFor({ timeout: 10_000 });
    expect(await rows(ada.page)).toEqual([expect.objectContaining({ title: 'milk', done: false, waiting: true })]);
    await statusIs(ada.page, { pending: 1 });
    await eventually(() => held.held() > 0);
    expect(await stored(path)).toEqual([]);
    expect(await rows(bob.page)).toEqual([]);

    // Released: read back (no longer waiting), and Bob's page has it from the stream.
    await held.release();
    await statusIs(ada.page, { pending: 0 });
    await row(bob.page, 'milk').waitFor({ timeout: 20_000 });
    expect(await rows(ada.page)).toEqual([expect.objectContaining({ title: 'milk', waiting: false })]);
    expect(await rows(bob.page)).toEqual(await rows(ada.page));
    const messages = await stored(path);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ type: 'todo', value: { title: 'milk' }, headers: { operation: 'insert' } });
  });

  it('edits made offline survive a reload, are delivered once back online, and both users end equal, each change stored once', async () => {
    const path = await servers.newStream('offline');
    const ada = await openUser(path);
    const bob = await openUser(path);
    await add(ada.page, 'milk');
    await add(ada.page, 'eggs');
    await add(ada.page, 'tea');
    await eventually(async () => (await titles(bob.page)).length === 3);
    await statusIs(ada.page, { pending: 0 });
    expect(await titles(bob.page)).toEqual(['milk', 'eggs', 'tea']);

    // Bob goes offline (the browser says so, and the streams server is out of reach) and edits.
    const reconnect = await cut(bob.context);
    await bob.context.setOffline(true);
    await add(bob.page, 'bread');
    await toggle(bob.page, 'milk');
    await remove(bob.page, 'eggs');
    await statusIs(bob.page, { pending: 3 });
    expect(await titles(bob.page)).toEqual(['milk (done)', 'tea', 'bread']);
    // Meanwhile Ada, online, edits too.
    await add(ada.page, 'jam');
    await toggle(ada.page, 'tea');
    await statusIs(ada.page, { pending: 0 });
    expect(await titles(ada.page)).toEqual(['milk', 'eggs', 'tea (done)', 'jam']);
    expect(await streamTodos(path)).toEqual(['milk', 'eggs', 'tea (done)', 'jam']);

    // Bob reloads while the streams server is still out of reach: the render has Ada's changes (the server reads
    // the stream), his own come back from his outbox, still waiting.
    await bob.context.setOffline(false);
    await openTodos(bob.page, path);
    await statusIs(bob.page, { pending: 3 });
    expect(await titles(bob.page)).toEqual(['milk (done)', 'tea (done)', 'bread', 'jam']);
    expect((await rows(bob.page)).filter((todo) => todo.waiting).map((todo) => todo.title)).toEqual(['milk', 'bread']);
    expect(await streamTodos(path)).toEqual(['milk', 'eggs', 'tea (done)', 'jam']);

    // Back online: his edits are delivered, and both users converge on the stream's state.
    await reconnect();
    await statusIs(bob.page, { pending: 0, status: 'live' }, 30_000);
    const expected = ['milk (done)', 'tea (done)', 'bread', 'jam'];
    await eventually(async () => (await titles(ada.page)).join() === expected.join());
    expect(await titles(bob.page)).toEqual(expected);
    expect(await rows(ada.page)).toEqual(await rows(bob.page));
    expect(await streamTodos(path)).toEqual(expected);

    // Eight changes (Ada's five, Bob's three), each stored once: one message per txid, eight txids.
    const messages = await stored(path);
    const counts = byTxid(messages);
    expect(counts.has(undefined)).toBe(false);
    expect([...counts.values()]).toEqual(Array(8).fill(1));
    expect(messages).toHaveLength(8);
  });

  it('takes back edits kept through a reload when the server refuses them (the stream was closed), and says so', async () => {
    const path = await servers.newStream('refused');
    const ada = await openUser(path);
    await add(ada.page, 'milk');
    await statusIs(ada.page, { pending: 0 });

    const reconnect = await cut(ada.context);
    await add(ada.page, 'too late');
    await statusIs(ada.page, { pending: 1 });
    await eventually(async () => (await outboxBatches(ada.page, path)) === 1);
    await openTodos(ada.page, path);
    await statusIs(ada.page, { pending: 1 });
    expect(await titles(ada.page)).toEqual(['milk', 'too late']);

    // The stream is closed meanwhile: the kept edit is refused once the page reaches the server again.
    await firstValueFrom(closeStream(servers.client.stream(path)));
    await reconnect();
    await ada.page.getByTestId('todo-rolled-back').waitFor({ timeout: 20_000 });
    await statusIs(ada.page, { pending: 0 });
    expect(await titles(ada.page)).toEqual(['milk']);
    expect(await ada.page.getByTestId('todo-rolled-back').textContent()).toContain('restored from the outbox');
    expect((await stored(path)).map((message) => message.key)).toHaveLength(1);

    // Nothing is left in the outbox (taken out once the refused producer let it go): a reload does not bring it back.
    await eventually(async () => (await outboxBatches(ada.page, path)) === 0);
    await openTodos(ada.page, path);
    await statusIs(ada.page, { upToDate: true });
    expect(await status(ada.page)).toMatchObject({ pending: 0 });
    expect(await titles(ada.page)).toEqual(['milk']);
  });
});
