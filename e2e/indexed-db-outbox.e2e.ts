/**
 * indexedDbOutbox() in Debian's headless Chromium, driven by playwright-core:
 * the outbox conformance specs (the same file jest runs in Node under
 * fake-indexeddb) on the browser's own IndexedDB and Web Locks, and what only
 * a browser can show: one tab at a time across real tabs, the lock of a
 * closed or reloaded tab released by the browser, what was saved kept.
 * The page (e2e/support/outbox-conformance-page.ts) is bundled by esbuild.
 */
import { build } from 'esbuild';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium, type Browser } from './support/chromium';

interface Outboxes {
  open(name: string): Promise<{ texts: string[] } | { error: string; holder?: string }>;
  take(name: string): Promise<{ texts: string[] } | { error: string; holder?: string }>;
  put(name: string, texts: readonly string[], firstSeq: number): Promise<void>;
  close(name: string): Promise<void>;
}
declare const outboxes: Outboxes;
declare const conformance: { run(): Promise<Array<{ name: string; error?: string }>> };

let site: { url: string; close(): Promise<void> };
let browser: Browser;
let pageErrors: string[] = [];

async function servePage(): Promise<typeof site> {
  const bundle = await build({
    entryPoints: [resolve(__dirname, 'support/outbox-conformance-page.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  const script = bundle.outputFiles[0].text;
  const html = '<!doctype html><title>outbox</title><script type="module" src="/page.js"></script>';
  const server: Server = createServer((req, res) => {
    const isScript = req.url === '/page.js';
    res.writeHead(200, { 'content-type': isScript ? 'text/javascript' : 'text/html', 'cache-control': 'no-store' });
    res.end(isScript ? script : html);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    // localhost: a secure context, where the Web Locks API exists.
    url: `http://localhost:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise<void>((done) => (server.closeAllConnections(), server.close(() => done()))),
  };
}

beforeAll(async () => {
  [site, browser] = await Promise.all([servePage(), launchChromium()]);
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

afterEach(async () => {
  for (const page of browser.context.pages()) await page.close();
  const errors = pageErrors;
  pageErrors = [];
  expect(errors).toEqual([]);
});

async function openPage(): Promise<Page> {
  const page = await browser.context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(site.url);
  await page.waitForFunction(() => typeof (globalThis as { outboxes?: unknown }).outboxes === 'object');
  return page;
}

let counter = 0;
const outboxName = (what: string) => `e2e-${what}-${process.pid}-${counter++}`;

describe('indexedDbOutbox() in Chromium', () => {
  it('passes the outbox conformance specs on the browser’s IndexedDB and Web Locks', async () => {
    const page = await openPage();
    expect(await page.evaluate(() => 'locks' in navigator && 'indexedDB' in globalThis)).toBe(true);
    const results = await page.evaluate(() => conformance.run());
    expect(results.length).toBeGreaterThanOrEqual(12);
    expect(results.filter((result) => result.error !== undefined)).toEqual([]);
  });

  it('is held by one tab at a time; the next tab takes it once the first is closed, with what it saved', async () => {
    const name = outboxName('tabs');
    const [first, second] = [await openPage(), await openPage()];
    expect(await first.evaluate((n) => outboxes.open(n), name)).toEqual({ texts: [] });
    await first.evaluate((n) => outboxes.put(n, ['one', 'two'], 0), name);
    expect(await second.evaluate((n) => outboxes.open(n), name)).toEqual({
      error: 'OutboxLockedError',
      holder: 'another tab, window or worker of this site',
    });
    // Closed without closing the outbox: the browser releases the tab's lock.
    await first.close();
    // Measured: free again within 100 ms (one retry).
    expect(await second.evaluate((n) => outboxes.take(n), name)).toEqual({ texts: ['one', 'two'] });
  });

  it('keeps what was saved across a reload, and the reloaded page holds the outbox again', async () => {
    const name = outboxName('reload');
    const page = await openPage();
    await page.evaluate((n) => outboxes.open(n), name);
    await page.evaluate((n) => outboxes.put(n, ['kept'], 0), name);
    await page.reload();
    await page.waitForFunction(() => typeof (globalThis as { outboxes?: unknown }).outboxes === 'object');
    // Measured: free at once after a reload.
    expect(await page.evaluate((n) => outboxes.take(n), name)).toEqual({ texts: ['kept'] });
  });
});
