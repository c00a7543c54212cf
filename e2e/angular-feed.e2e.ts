/**
 * The Angular example (examples/angular-feed, built by `npm run example:build`)
 * in Debian's headless Chromium, driven by playwright-core, against the real
 * reference server. Two loopback servers on free ports: the reference server
 * (its http.Server watched, so open reads are counted on the server side) and
 * a static server for the built app. Each test uses its own stream, written
 * with State Protocol change messages on the `message` entity type, which the
 * app materializes and lists by id.
 */
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { firstValueFrom } from 'rxjs';
import { DurableStreamsClient, undiciTransport, type UndiciTransport } from '../lib/index.node';
import { launchChromium, type Browser } from './support/chromium';
import { serveStatic, type StaticServer } from './support/static-server';
import { startStreamServer, type StreamServer } from './support/stream-server';

const ROOT = resolve(__dirname, '..');
const LATENCY_BUDGET_MS = 1_000;

let streams: StreamServer;
let site: StaticServer;
let browser: Browser;
let client: DurableStreamsClient;
let transport: UndiciTransport;
let pageErrors: string[] = [];
const timings: string[] = [];

beforeAll(async () => {
  streams = await startStreamServer();
  site = await serveStatic(join(ROOT, 'examples/angular-feed/dist/browser'));
  browser = await launchChromium();
  transport = undiciTransport();
  client = new DurableStreamsClient({ baseUrl: `${streams.url}/v1/stream`, transport });
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
  await transport?.close();
  await streams?.close();
  if (timings.length > 0) console.log(`timings:\n  ${timings.join('\n  ')}`);
});

afterEach(async () => {
  for (const page of browser.context.pages()) await page.close();
  const errors = pageErrors;
  pageErrors = [];
  expect(errors).toEqual([]);
});

let counter = 0;
async function newStream(name: string): Promise<string> {
  const path = `e2e-${name}-${process.pid}-${Date.now().toString(36)}-${counter++}`;
  await firstValueFrom(client.stream(path).create({ contentType: 'application/json' }));
  return path;
}

/** Appends one State Protocol change message on the `message` entity `id`. */
async function change(path: string, operation: 'insert' | 'update' | 'delete', id: number, text?: string): Promise<void> {
  const value = operation === 'delete' ? {} : { value: { id, text } };
  await firstValueFrom(client.stream(path).appendJson({ type: 'message', key: String(id), ...value, headers: { operation } }));
}

const lastIds = new Map<string, number>();
/** Inserts one message per text, with ids counting up from 1 on each stream. */
async function append(path: string, ...texts: string[]): Promise<void> {
  for (const text of texts) {
    const id = (lastIds.get(path) ?? 0) + 1;
    lastIds.set(path, id);
    await change(path, 'insert', id, text);
  }
}

async function openFeed(path: string, live = 'auto'): Promise<Page> {
  const page = await browser.context.newPage();
  page.on('pageerror', (error) => pageErrors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(`console: ${message.text()}`);
  });
  const query = new URLSearchParams({ server: streams.url, stream: path, live });
  await page.goto(`${site.url}/?${query}`);
  return page;
}

const shown = (page: Page): Promise<string[]> =>
  page.$$eval('[data-testid=item]', (items) => items.map((item) => (item.textContent ?? '').trim()));

/** Waits until the page lists exactly `texts`, in order. */
async function expectShown(page: Page, texts: readonly string[], timeout = 5_000): Promise<void> {
  try {
    await page.waitForFunction(
      (expected) =>
        JSON.stringify([...document.querySelectorAll('[data-testid=item]')].map((item) => (item.textContent ?? '').trim())) === expected,
      JSON.stringify(texts),
      { timeout, polling: 'raf' },
    );
  } catch {
    // Fail with the list the page shows instead of a bare timeout.
    expect(await shown(page)).toEqual(texts);
    throw new Error(`the list matched only after ${timeout} ms`);
  }
}

async function expectStatus(page: Page, text: string): Promise<void> {
  await page.locator('[data-testid=status]', { hasText: text }).waitFor({ timeout: 5_000 });
}

async function until(check: () => boolean, timeoutMs: number): Promise<number> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) return -1;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return Date.now() - start;
}

/** Pretends the tab is hidden or visible again (headless Chromium keeps every tab visible). */
async function setVisibility(page: Page, state: 'hidden' | 'visible'): Promise<void> {
  await page.evaluate((next) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => next });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => next === 'hidden' });
    document.dispatchEvent(new Event('visibilitychange'));
  }, state);
}

describe.each(['sse', 'long-poll', 'auto'])('the Angular feed, live %s', (live) => {
  it(`shows messages appended after load within ${LATENCY_BUDGET_MS} ms`, async () => {
    const path = await newStream(`latency-${live}`);
    await append(path, 'before 1', 'before 2');
    const page = await openFeed(path, live);
    await expectShown(page, ['before 1', 'before 2']);
    await expectStatus(page, 'live');

    const expected = ['before 1', 'before 2'];
    const latencies: number[] = [];
    for (let i = 1; i <= 5; i++) {
      expected.push(`after ${i}`);
      const start = Date.now();
      await Promise.all([append(path, `after ${i}`), expectShown(page, expected, LATENCY_BUDGET_MS)]);
      latencies.push(Date.now() - start);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    timings.push(`append → on screen, ${live}: ${latencies.join(', ')} ms`);
    expect(Math.max(...latencies)).toBeLessThan(LATENCY_BUDGET_MS);
  });
});

describe('the Angular feed', () => {
  it('after a reload, resumes from the saved checkpoint: nothing shown twice, nothing lost', async () => {
    const path = await newStream('reload');
    await append(path, 'm1', 'm2', 'm3');
    const page = await openFeed(path);
    await expectShown(page, ['m1', 'm2', 'm3']);
    await append(path, 'm4');
    await expectShown(page, ['m1', 'm2', 'm3', 'm4']);

    // A plain reload: the list comes back from storage, the read resumes at the saved checkpoint.
    const saved = await page.evaluate((key) => localStorage.getItem(key), `durable-feed:${path}:checkpoint`);
    const checkpoint = JSON.parse(saved ?? 'null') as { offset: string } | null;
    expect(checkpoint?.offset).toMatch(/\S/);
    expect(checkpoint?.offset).not.toBe('-1');
    let mark = streams.log.length;
    await page.reload();
    await expectShown(page, ['m1', 'm2', 'm3', 'm4']);
    await expectStatus(page, 'live');
    const reads = streams.requests(path, mark).filter((request) => request.method === 'GET');
    expect(reads[0]?.params.get('offset')).toBe(checkpoint!.offset);

    // m5 is appended while the page reloads (the old page may or may not see it), m6 once it is back.
    mark = streams.log.length;
    const start = Date.now();
    await Promise.all([page.reload(), append(path, 'm5')]);
    await append(path, 'm6');
    await expectShown(page, ['m1', 'm2', 'm3', 'm4', 'm5', 'm6']);
    timings.push(`reload → full list: ${Date.now() - start} ms`);
    const offsets = streams.requests(path, mark).filter((request) => request.method === 'GET').map((request) => request.params.get('offset'));
    expect(offsets.length).toBeGreaterThan(0);
    expect(offsets).not.toContain('-1');
    await page.waitForTimeout(300);
    expect(await shown(page)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6']);
  });

  it(`shows update and delete change messages within ${LATENCY_BUDGET_MS} ms, and still after a reload`, async () => {
    const path = await newStream('changes');
    await append(path, 'first', 'second', 'third'); // ids 1, 2, 3
    const page = await openFeed(path);
    await expectShown(page, ['first', 'second', 'third']);
    await expectStatus(page, 'live');

    // An update replaces the entity in place: the list stays in id order.
    let start = Date.now();
    await Promise.all([change(path, 'update', 2, 'second, edited'), expectShown(page, ['first', 'second, edited', 'third'], LATENCY_BUDGET_MS)]);
    const updated = Date.now() - start;
    start = Date.now();
    await Promise.all([change(path, 'delete', 1), expectShown(page, ['second, edited', 'third'], LATENCY_BUDGET_MS)]);
    const deleted = Date.now() - start;
    timings.push(`change message → on screen: update ${updated} ms, delete ${deleted} ms`);

    // The changed state is what a reload restores; the read resumes after it.
    const mark = streams.log.length;
    await page.reload();
    await expectShown(page, ['second, edited', 'third']);
    await expectStatus(page, 'live');
    const reads = streams.requests(path, mark).filter((request) => request.method === 'GET');
    expect(reads[0]?.params.get('offset')).not.toBe('-1');
    await append(path, 'fourth');
    await expectShown(page, ['second, edited', 'third', 'fourth']);
  });

  it('destroying the feed component closes its connection; creating it again resumes where it stopped', async () => {
    const path = await newStream('destroy');
    await append(path, 'one');
    const page = await openFeed(path);
    await expectShown(page, ['one']);
    await expectStatus(page, 'live');
    // The live read holds a connection open on the server.
    expect(await until(() => streams.openReads(path) === 1, 2_000)).toBeGreaterThanOrEqual(0);

    const mark = streams.log.length;
    const clicked = Date.now();
    await page.getByTestId('toggle').click();
    expect(await until(() => streams.openReads(path) === 0, 1_000)).toBeGreaterThanOrEqual(0);
    timings.push(`click "Stop feed" → server saw the connection close: ${Date.now() - clicked} ms`);
    await expect(page.getByTestId('items').count()).resolves.toBe(0);

    // Nothing reconnects, even when data arrives.
    await append(path, 'two');
    await page.waitForTimeout(500);
    expect(streams.openReads(path)).toBe(0);
    expect(streams.requests(path, mark).filter((request) => request.method === 'GET')).toEqual([]);

    // Back on: the saved list, then what came meanwhile, each once.
    await page.getByTestId('toggle').click();
    await expectShown(page, ['one', 'two']);
    const reads = streams.requests(path, mark).filter((request) => request.method === 'GET');
    expect(reads[0]?.params.get('offset')).not.toBe('-1');
  });

  it('closes the connection while the tab is hidden and catches up when it is visible again', async () => {
    const path = await newStream('hidden');
    await append(path, 'seen');
    const page = await openFeed(path);
    await expectShown(page, ['seen']);
    await expectStatus(page, 'live');
    expect(await until(() => streams.openReads(path) === 1, 2_000)).toBeGreaterThanOrEqual(0);

    await setVisibility(page, 'hidden');
    expect(await until(() => streams.openReads(path) === 0, 1_000)).toBeGreaterThanOrEqual(0);
    await expectStatus(page, 'paused while the tab is hidden');
    await append(path, 'while hidden');
    await page.waitForTimeout(300);
    expect(await shown(page)).toEqual(['seen']);
    expect(streams.openReads(path)).toBe(0);

    const start = Date.now();
    await setVisibility(page, 'visible');
    await expectShown(page, ['seen', 'while hidden'], LATENCY_BUDGET_MS);
    timings.push(`visible again → caught up: ${Date.now() - start} ms`);
    expect(await until(() => streams.openReads(path) === 1, 2_000)).toBeGreaterThanOrEqual(0);
  });

  it('shows what examples/node-producer writes through the IdempotentProducer', async () => {
    const path = await newStream('producer');
    const page = await openFeed(path);
    await expectStatus(page, 'live');
    const { stdout } = await promisify(execFile)(process.execPath, [
      join(ROOT, 'examples/node-producer/produce.mjs'),
      ...['--server', streams.url, '--stream', path, '--count', '5', '--interval', '20', '--prefix', 'produced'],
    ]);
    expect(stdout).toContain('done: 5 messages');
    await expectShown(page, ['produced 1', 'produced 2', 'produced 3', 'produced 4', 'produced 5'], 2_000);
  });
});
