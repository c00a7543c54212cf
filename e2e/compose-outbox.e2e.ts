/**
 * The Angular example's compose box (injectProducer(): a tab producer with
 * an IndexedDB outbox) in Debian's headless Chromium, against the real
 * reference server, which counts what it stores: messages saved while the
 * streams server is unreachable or the browser offline survive a reload and
 * a closed tab (delivered by the next tab), a reload while answers are lost
 * on their way, and two tabs appending at once; each message is stored
 * once, in order. The page's network to the streams server is cut with
 * Playwright's routing (the browser then sees connections refused) and the
 * browser taken offline with its offline emulation (`navigator.onLine`, the
 * `offline` and `online` events); the server render reaches the streams
 * server directly, so pages still load.
 */
import type { Page, Route } from 'playwright-core';
import { firstValueFrom } from 'rxjs';
import { collectItems, readJson } from '../lib/index';
import { eventually, launchChromium, watchPage, type Browser } from './support/chromium';
import { startExampleServers, type ExampleServers } from './support/example-servers';

let servers: ExampleServers;
let browser: Browser;
let pageErrors: string[] = [];

beforeAll(async () => {
  servers = await startExampleServers('e2e-compose');
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await servers?.close();
});

afterEach(async () => {
  await browser.context.unrouteAll({ behavior: 'ignoreErrors' });
  await browser.context.setOffline(false);
  for (const page of browser.context.pages()) await page.close();
  const errors = pageErrors;
  pageErrors = [];
  expect(errors).toEqual([]);
});

function watch(page: Page): Page {
  return watchPage(page, pageErrors);
}

/** Opens the example on `path` in a new tab and waits until its compose box runs in the browser. */
async function openCompose(path: string, page?: Page): Promise<Page> {
  const tab = page ?? watch(await browser.context.newPage());
  await tab.goto(`${servers.site.url}/?${new URLSearchParams({ stream: path })}`);
  await running(tab);
  return tab;
}

/** Waits until the page's producer runs (its id is shown once the browser made it: after hydration). */
async function running(page: Page): Promise<void> {
  await page.locator('[data-testid=outbox][data-producer^="tab-"]').waitFor({ timeout: 10_000 });
}

/** Types and sends each text. */
async function send(page: Page, ...texts: string[]): Promise<void> {
  for (const text of texts) {
    await page.getByTestId('compose-text').fill(text);
    await page.getByTestId('send').click();
  }
}

interface Outbox {
  readonly state: string | null;
  readonly pending: number;
  readonly saved: number;
  readonly producer: string | null;
}

async function outbox(page: Page): Promise<Outbox> {
  const line = page.getByTestId('outbox');
  const [state, pending, saved, producer] = await Promise.all(
    ['data-state', 'data-pending', 'data-saved', 'data-producer'].map((name) => line.getAttribute(name)),
  );
  return { state, pending: Number(pending), saved: Number(saved), producer };
}

/** Waits until the compose box's outbox says `expected` (state, pending, saved: what is given). */
async function outboxIs(page: Page, expected: Partial<Outbox>, timeout = 20_000): Promise<void> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const now = await outbox(page);
    if (Object.entries(expected).every(([key, value]) => now[key as keyof Outbox] === value)) return;
    if (Date.now() > deadline) expect(now).toMatchObject(expected);
    await page.waitForTimeout(50);
  }
}

/** The texts of the messages the stream stores, in order. */
async function stored(path: string): Promise<string[]> {
  const items = await firstValueFrom(readJson(servers.client.stream(path), { live: false }).pipe(collectItems()));
  return items.map((item) => (item as { value?: { text?: string } }).value?.text ?? '?');
}

/** Cuts the browser off the streams server: every request to it fails as a refused connection. */
async function cutStreams(): Promise<{ attempts: () => number; restore: () => Promise<void> }> {
  let attempts = 0;
  const handler = (route: Route) => {
    if (route.request().method() === 'POST') attempts++;
    return route.abort('connectionrefused');
  };
  await browser.context.route(`${servers.streams.url}/**`, handler);
  return { attempts: () => attempts, restore: () => browser.context.unroute(`${servers.streams.url}/**`, handler) };
}

const texts = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix} ${i + 1}`);

describe('the compose box (injectProducer, IndexedDB outbox) in Chromium', () => {
  it('offline: saves what is sent, keeps it across a reload, delivers it once back online, each message once, in order', async () => {
    const path = await servers.newStream('offline');
    const page = await openCompose(path);
    const cut = await cutStreams();
    await browser.context.setOffline(true);
    const messages = texts('offline', 5);
    await send(page, ...messages);
    await outboxIs(page, { state: 'offline', pending: 5, saved: 5 });
    // Offline, the producer waits for the network instead of spending its retries on requests that cannot go.
    await page.waitForTimeout(1_500);
    expect(cut.attempts()).toBe(0);
    expect(await stored(path)).toEqual([]);

    // The browser comes back online, the streams server is still out of reach; the tab reloads.
    await browser.context.setOffline(false);
    await openCompose(path, page);
    await outboxIs(page, { pending: 5, saved: 5 });
    expect(await stored(path)).toEqual([]);
    await cut.restore();
    await outboxIs(page, { state: 'delivered', pending: 0 });
    expect(await stored(path)).toEqual(messages);
    await send(page, 'after');
    await eventually(async () => (await stored(path)).length > messages.length);
    await outboxIs(page, { state: 'delivered', pending: 0 });
    expect(await stored(path)).toEqual([...messages, 'after']);
  });

  it('a reload while answers are lost on their way: what reached the server is not stored twice', async () => {
    const path = await servers.newStream('lost-answers');
    const page = await openCompose(path);
    // The requests reach the server; their answers never come back.
    let reached = 0;
    await browser.context.route(`${servers.streams.url}/**`, async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      reached++;
      await route.fetch().catch(() => undefined);
      // never answered: the page goes away first
    });
    const messages = texts('mid-send', 4);
    await send(page, ...messages);
    await outboxIs(page, { pending: 4, saved: 4 });
    // At least the first batch reached the server and was stored.
    await eventually(async () => reached > 0 && (await stored(path)).includes(messages[0]));
    await browser.context.unrouteAll({ behavior: 'ignoreErrors' });
    await openCompose(path, page);
    await outboxIs(page, { state: 'delivered', pending: 0 });
    expect(await stored(path)).toEqual(messages);
  });

  it('a closed tab: what it saved is delivered by the next tab of the app, once, in order, beside its own', async () => {
    const path = await servers.newStream('closed-tab');
    const first = await openCompose(path);
    const cut = await cutStreams();
    const messages = texts('closed', 3);
    await send(first, ...messages);
    await outboxIs(first, { pending: 3, saved: 3 });
    const closedId = (await outbox(first)).producer;
    await first.close();
    await cut.restore();
    expect(await stored(path)).toEqual([]);

    const next = await openCompose(path);
    expect((await outbox(next)).producer).not.toBe(closedId);
    await send(next, 'next tab');
    await eventually(async () => (await stored(path)).length >= 4);
    const all = await stored(path);
    expect(all.filter((text) => text !== 'next tab')).toEqual(messages);
    expect(all).toContain('next tab');
  });

  it('two tabs appending at the same time (one opened by the other) do not fence each other', async () => {
    const path = await servers.newStream('two-tabs');
    const first = await openCompose(path);
    // window.open copies the page's session storage into the new tab, as a duplicated tab does.
    const [second] = await Promise.all([
      browser.context.waitForEvent('page'),
      first.evaluate(() => void window.open(location.href)),
    ]);
    watch(second);
    await running(second);
    const [a, b] = [await outbox(first), await outbox(second)];
    expect(a.producer).not.toBe(b.producer);
    const one = texts('first tab', 10);
    const two = texts('second tab', 10);
    for (let i = 0; i < 10; i++) await Promise.all([send(first, one[i]), send(second, two[i])]);
    await eventually(async () => (await stored(path)).length >= 20);
    await outboxIs(first, { state: 'delivered', pending: 0 });
    await outboxIs(second, { state: 'delivered', pending: 0 });
    const all = await stored(path);
    expect(all.filter((text) => text.startsWith('first tab'))).toEqual(one);
    expect(all.filter((text) => text.startsWith('second tab'))).toEqual(two);
    expect(all).toHaveLength(20);
    await expect(first.getByTestId('outbox-error').count()).resolves.toBe(0);
    await expect(second.getByTestId('outbox-error').count()).resolves.toBe(0);
    // The first tab still writes.
    await send(first, 'first tab again');
    await eventually(async () => (await stored(path)).includes('first tab again'));
    await outboxIs(first, { state: 'delivered', pending: 0 });
    expect(await stored(path)).toHaveLength(21);
  });
});
