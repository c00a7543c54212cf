/**
 * Many live reads in a browser (issue #13, items 3 and 4), in Debian's
 * headless Chromium driven by playwright-core, against the reference server
 * on a plain http: origin, so HTTP/1.1 with Chromium's 6 connections per
 * origin, shared by every tab of the profile. The page is a small app
 * (e2e/support/many-reads-app.ts) bundled by esbuild and served from another
 * origin; it reads and appends as the spec tells it through `window.app`.
 */
import { build } from 'esbuild';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { firstValueFrom } from 'rxjs';
import { DurableStreamsClient, appendJson, closeStream, createStream } from '../lib/index';
import { undiciTransport, type UndiciTransport } from '../lib/undici';
import { launchChromium, type Browser } from './support/chromium';
import { startStreamServer, type StreamServer } from './support/stream-server';

type Received = Array<{ path: string; items: unknown[]; done: boolean; error?: string }>;
interface App {
  connect(baseUrl: string, options?: { shareAcrossTabs?: boolean; maxDelayMs?: number }): void;
  read(path: string, live: string, offset?: string): number;
  stop(index: number): void;
  appendJson(path: string, value: unknown): Promise<number>;
  received(): Received;
}
declare const app: App;

let streams: StreamServer;
let site: { url: string; scripts: ReadonlyMap<string, string>; requested: string[]; close(): Promise<void> };
let browser: Browser;
let transport: UndiciTransport;
let writer: DurableStreamsClient;
let warnings: string[] = [];
let pageErrors: string[] = [];

/**
 * Serves the page and the app's bundle on a free loopback port, split as an
 * app's bundler splits it: what reads load on demand (cross-tab tails, the
 * live-request budget) comes as a lazy chunk, fetched by the page's import().
 */
async function serveApp(): Promise<typeof site> {
  const bundle = await build({
    entryPoints: { app: resolve(__dirname, 'support/many-reads-app.ts') },
    bundle: true,
    splitting: true,
    outdir: resolve(__dirname, 'out'),
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  const scripts = new Map(bundle.outputFiles.map((file) => [`/${basename(file.path)}`, file.text]));
  const html = '<!doctype html><title>many reads</title><script type="module" src="/app.js"></script>';
  const requested: string[] = [];
  const server: Server = createServer((req, res) => {
    requested.push(req.url ?? '');
    const script = scripts.get(req.url ?? '');
    res.writeHead(200, {
      'content-type': script !== undefined ? 'text/javascript' : 'text/html',
      'cache-control': 'no-store',
    });
    res.end(script ?? html);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    scripts,
    requested,
    close: () => new Promise<void>((done) => (server.closeAllConnections(), server.close(() => done()))),
  };
}

beforeAll(async () => {
  [streams, site, browser] = await Promise.all([startStreamServer(), serveApp(), launchChromium()]);
  transport = undiciTransport();
  writer = new DurableStreamsClient({ baseUrl: `${streams.url}/v1/stream`, transport });
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
  await transport?.close();
  await streams?.close();
});

afterEach(async () => {
  for (const page of browser.context.pages()) await page.close();
  const errors = pageErrors;
  pageErrors = [];
  warnings = [];
  expect(errors).toEqual([]);
});

let counter = 0;
async function newStream(name: string): Promise<string> {
  const path = `many-${name}-${process.pid}-${counter++}`;
  await firstValueFrom(createStream(writer.stream(path), { contentType: 'application/json' }));
  return path;
}

async function openApp(options: { shareAcrossTabs?: boolean; maxDelayMs?: number } = {}): Promise<Page> {
  const page = await browser.context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'warning') warnings.push(message.text());
  });
  await page.goto(site.url);
  await page.waitForFunction(() => typeof (globalThis as { app?: unknown }).app === 'object');
  await page.evaluate(([base, opts]) => app.connect(base, opts), [`${streams.url}/v1/stream`, options] as const);
  return page;
}

/** Resolves when `predicate` holds, polling; fails after `timeoutMs` with `what`. */
async function until(
  predicate: () => boolean | Promise<boolean>,
  what: () => string | Promise<string>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${await what()}`);
    await new Promise((done) => setTimeout(done, 50));
  }
}

const received = (page: Page): Promise<Received> => page.evaluate(() => app.received());
const liveAt = (path: string) => streams.openLive(path);
const range = (to: number) => Array.from({ length: to }, (_, i) => i);

describe('the app in 8 tabs of one browser profile', () => {
  it('loads the cross-tab code as a lazy chunk, once a live read needs it', async () => {
    // tail-name's lock prefix marks the cross-tab code: in a chunk of its own, not in the page's entry script.
    const lazy = [...site.scripts]
      .filter(([, text]) => text.includes('durable-streams-rx:tail:'))
      .map(([path]) => path);
    expect(lazy).toHaveLength(1);
    expect(lazy[0]).not.toBe('/app.js');
    const path = await newStream('lazy');
    const page = await openApp();
    expect(site.requested).not.toContain(lazy[0]);
    await page.evaluate((p) => app.read(p, 'auto'), path);
    await firstValueFrom(appendJson(writer.stream(path), 'hello'));
    await until(
      async () => (await received(page))[0]?.items.length === 1,
      () => 'the read to receive',
    );
    expect(site.requested).toContain(lazy[0]);
    await page.close();
  });

  it('reads each stream over one connection for all tabs; when the holding tab closes mid-stream, every tab gets every message once', async () => {
    const path = await newStream('tabs');
    const tabs: Page[] = [];
    for (let i = 0; i < 8; i++) {
      const page = await openApp();
      await page.evaluate((p) => app.read(p, 'auto'), path);
      tabs.push(page);
    }
    await until(
      () => liveAt(path) === 1,
      () => `one read open at the server (${liveAt(path)})`,
    );
    let maxOpen = 0;
    const sampler = setInterval(() => (maxOpen = Math.max(maxOpen, liveAt(path))), 20);
    const logFrom = streams.log.length;
    try {
      for (let n = 0; n < 10; n++) await firstValueFrom(appendJson(writer.stream(path), n));
      // The first tab asked first for the lock: it holds the connection. Close it mid-stream.
      await tabs[0].close();
      for (let n = 10; n < 20; n++) {
        await firstValueFrom(appendJson(writer.stream(path), n));
        if (n === 14) await tabs[1].close();
      }
      await firstValueFrom(closeStream(writer.stream(path)));
      const open = tabs.slice(2);
      await until(
        async () => (await Promise.all(open.map(received))).every(([reader]) => reader?.done),
        async () =>
          `every open tab to reach EOF (${(await Promise.all(open.map(received))).map(([r]) => r?.items.length).join(',')})`,
      );
      for (const page of open) {
        const [reader] = await received(page);
        expect(reader.items).toEqual(range(20));
        expect(reader.error).toBeUndefined();
      }
    } finally {
      clearInterval(sampler);
    }
    // One connection at a time, but for a moment at a handover; one tab's reads, not eight.
    expect(maxOpen).toBeLessThanOrEqual(2);
    const reads = streams.requests(path, logFrom).filter((r) => r.method === 'GET').length;
    expect(reads).toBeLessThan(60);
  });

  it('hands the connection over when the holding tab is frozen, and when it reloads: nothing skipped or repeated in any tab', async () => {
    const path = await newStream('freeze');
    const tabs: Page[] = [];
    for (let i = 0; i < 3; i++) {
      const page = await openApp();
      await page.evaluate((p) => app.read(p, 'auto'), path);
      tabs.push(page);
    }
    const itemsOf = async (page: Page) => (await received(page))[0]?.items ?? [];
    const allHave = (pages: Page[], count: number) => async () =>
      (await Promise.all(pages.map(itemsOf))).every((items) => items.length >= count);
    const counts = async (pages: Page[]) =>
      (await Promise.all(pages.map(itemsOf))).map((items) => items.length).join(', ');
    await until(
      () => liveAt(path) === 1,
      () => `one read open at the server (${liveAt(path)})`,
    );
    for (let n = 0; n < 5; n++) await firstValueFrom(appendJson(writer.stream(path), n));
    await until(allHave(tabs, 5), () => counts(tabs));
    // Freeze the holding tab as Chrome freezes a background tab: the Page Lifecycle's freeze event, then no script
    // runs. Headless Chromium does not freeze pages (Page.setWebLifecycleState has no effect there), so the event is
    // dispatched, and the debugger pauses the page's scripts until it resumes.
    const debug = await browser.context.newCDPSession(tabs[0]);
    await tabs[0].evaluate(() => document.dispatchEvent(new Event('freeze')));
    await debug.send('Debugger.enable');
    await debug.send('Debugger.pause');
    for (let n = 5; n < 10; n++) await firstValueFrom(appendJson(writer.stream(path), n));
    await until(allHave(tabs.slice(1), 10), () => counts(tabs.slice(1)));
    await debug.send('Debugger.resume');
    await tabs[0].evaluate(() => document.dispatchEvent(new Event('resume')));
    await until(allHave(tabs, 10), () => counts(tabs));
    // Reload the tab that holds it now (the second asked next): the app starts over there and reads from the beginning.
    await tabs[1].reload();
    await tabs[1].waitForFunction(() => typeof (globalThis as { app?: unknown }).app === 'object');
    await tabs[1].evaluate(([base, p]) => (app.connect(base), app.read(p, 'auto')), [
      `${streams.url}/v1/stream`,
      path,
    ] as const);
    for (let n = 10; n < 15; n++) await firstValueFrom(appendJson(writer.stream(path), n));
    await firstValueFrom(closeStream(writer.stream(path)));
    await until(
      async () => (await Promise.all(tabs.map(received))).every(([r]) => r?.done),
      () => counts(tabs),
    );
    for (const page of tabs) expect(await itemsOf(page)).toEqual(range(15));
  });

  it('gives every tab its own connection when sharing across tabs is turned off', async () => {
    const path = await newStream('no-sharing');
    const tabs = [await openApp({ shareAcrossTabs: false }), await openApp({ shareAcrossTabs: false })];
    for (const page of tabs) await page.evaluate((p) => app.read(p, 'long-poll'), path);
    await until(
      () => liveAt(path) === 2,
      () => `two reads open at the server (${liveAt(path)})`,
    );
    await firstValueFrom(appendJson(writer.stream(path), 'x'));
    await until(
      async () => (await Promise.all(tabs.map(received))).every(([r]) => r?.items.length === 1),
      () => 'both tabs to receive',
    );
  });
});

describe('many readers in one page on an HTTP/1.1 origin', () => {
  it.each(['sse', 'auto'])(
    "8 '%s' reads of 8 streams: the page's own append completes, every reader receives, live requests stay within the budget, and one warning names HTTP/1.1",
    async (live) => {
      const paths = await Promise.all(range(8).map((i) => newStream(`budget-${live}-${i}`)));
      const page = await openApp();
      for (const path of paths) await page.evaluate(([p, l]) => app.read(p, l), [path, live] as const);
      const openAll = () => paths.reduce((sum, path) => sum + liveAt(path), 0);
      let maxOpen = 0;
      const sampler = setInterval(() => (maxOpen = Math.max(maxOpen, openAll())), 20);
      try {
        await new Promise((done) => setTimeout(done, 1_000));
        const other = await newStream('budget-append');
        const ms = await page.evaluate((p) => app.appendJson(p, { from: 'page' }), other);
        expect(ms).toBeLessThan(5_000);
        for (const [i, path] of paths.entries()) await firstValueFrom(appendJson(writer.stream(path), i));
        await until(
          async () => (await received(page)).every((reader, i) => reader.items.length === 1 && reader.items[0] === i),
          async () => `every reader to receive (${JSON.stringify((await received(page)).map((r) => r.items))})`,
        );
      } finally {
        clearInterval(sampler);
      }
      expect(maxOpen).toBeLessThanOrEqual(4 + 1); // the budget, and a short poll at most in flight
      const http1 = warnings.filter((w) => w.includes('HTTP/1.1'));
      expect(http1).toHaveLength(1);
      expect(http1[0]).toContain('HTTP/2');
    },
  );

  it('8 readers of one stream in one page: all receive, over one connection', async () => {
    const path = await newStream('one-stream');
    const page = await openApp();
    for (let i = 0; i < 8; i++) await page.evaluate((p) => app.read(p, 'sse'), path);
    await until(
      () => liveAt(path) === 1,
      () => `one read open at the server (${liveAt(path)})`,
    );
    for (let n = 0; n < 5; n++) await firstValueFrom(appendJson(writer.stream(path), n));
    await until(
      async () => (await received(page)).every((r) => r.items.length === 5),
      async () => `all 8 to receive (${(await received(page)).map((r) => r.items.length).join(',')})`,
    );
    for (const reader of await received(page)) expect(reader.items).toEqual(range(5));
    expect(warnings.filter((w) => w.includes('HTTP/1.1'))).toEqual([]);
  });
});
