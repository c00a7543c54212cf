/**
 * The Angular example (examples/angular-feed, built by `npm run example:build`)
 * rendered on its own server (@angular/ssr) and hydrated in Debian's headless
 * Chromium, driven by playwright-core, against the real reference server.
 * The reference server's http.Server is watched, so every GET (the SSR
 * server's and the browser's) and every open read is counted on the server
 * side. Each test uses its own stream of State Protocol change messages on
 * the `message` entity type, which the app materializes and lists by id.
 */
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { firstValueFrom } from 'rxjs';
import { appendJson } from '../lib/index';
import { launchChromium, type Browser } from './support/chromium';
import { startExampleServers, type ExampleServers } from './support/example-servers';

const ROOT = resolve(__dirname, '..');
const LATENCY_BUDGET_MS = 1_000;

let servers: ExampleServers;
let browser: Browser;
let pageErrors: string[] = [];
const timings: string[] = [];

beforeAll(async () => {
  servers = await startExampleServers('e2e');
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await servers?.close();
  if (timings.length > 0) console.log(`timings:\n  ${timings.join('\n  ')}`);
});

afterEach(async () => {
  for (const page of browser.context.pages()) await page.close();
  const errors = pageErrors;
  pageErrors = [];
  expect(errors).toEqual([]);
});

/** Appends one State Protocol change message on the `message` entity `id`. */
async function change(
  path: string,
  operation: 'insert' | 'update' | 'delete',
  id: number,
  text?: string,
): Promise<void> {
  const value = operation === 'delete' ? {} : { value: { id, text } };
  await firstValueFrom(
    appendJson(servers.client.stream(path), { type: 'message', key: String(id), ...value, headers: { operation } }),
  );
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

interface Opened {
  readonly page: Page;
  /** The HTML the server rendered, before any script ran. */
  readonly html: string;
}

/** Opens the feed on `path`; `beforeScripts` runs once the server's HTML is in and before the app's script loads. */
async function openFeed(path: string, live = 'auto', beforeScripts?: () => Promise<void>): Promise<Opened> {
  const page = await browser.context.newPage();
  page.on('pageerror', (error) => pageErrors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(`console: ${message.text()}`);
  });
  // Marks every list item the server's HTML created: hydration must keep these elements, not render new ones.
  await page.addInitScript(() => {
    new MutationObserver((records) => {
      for (const record of records) {
        // While the document is parsed, before any module script runs: only the server's elements.
        if (document.readyState !== 'loading') continue;
        for (const node of record.addedNodes)
          if (node instanceof HTMLLIElement) (node as unknown as { fromServer: boolean }).fromServer = true;
      }
    }).observe(document, { childList: true, subtree: true });
  });
  if (beforeScripts) {
    await page.route(/\/main-[\w-]+\.js$/, async (route) => {
      await beforeScripts();
      await route.continue();
    });
  }
  const response = await page.goto(`${servers.site.url}/?${new URLSearchParams({ stream: path, live })}`);
  return { page, html: (await response?.text()) ?? '' };
}

const shown = (page: Page): Promise<string[]> =>
  page.$$eval('[data-testid=item]', (items) => items.map((item) => (item.textContent ?? '').trim()));

const serverRendered = (html: string): string[] =>
  [...html.matchAll(/<li data-testid="item">([^<]*)<\/li>/g)].map((match) => match[1]);

/** The checkpoint the server handed over (TransferState in the page). */
function handedCheckpoint(html: string, path: string): string | undefined {
  const json = /<script id="ng-state" type="application\/json">([\s\S]*?)<\/script>/.exec(html)?.[1];
  const state = JSON.parse(json ?? '{}') as Record<string, { checkpoint?: { offset?: string } } | undefined>;
  return state[`dsrx:materialize:-1:${servers.streams.url}/v1/stream/${path}`]?.checkpoint?.offset;
}

/** Waits until the page lists exactly `texts`, in order. */
async function expectShown(page: Page, texts: readonly string[], timeout = 5_000): Promise<void> {
  try {
    await page.waitForFunction(
      (expected) =>
        JSON.stringify(
          [...document.querySelectorAll('[data-testid=item]')].map((item) => (item.textContent ?? '').trim()),
        ) === expected,
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

const gets = (path: string, from: number) =>
  servers.streams.requests(path, from).filter((request) => request.method === 'GET');

describe.each(['sse', 'long-poll', 'auto'])('the Angular feed, live %s', (live) => {
  it(`renders the history on the server, hydrates, resumes live from the server's checkpoint, shows appends within ${LATENCY_BUDGET_MS} ms`, async () => {
    const path = await servers.newStream(`ssr-${live}`);
    await append(path, 'before 1', 'before 2');
    const mark = servers.streams.log.length;
    const { page, html } = await openFeed(path, live);
    expect(serverRendered(html)).toEqual(['before 1', 'before 2']);
    const checkpoint = handedCheckpoint(html, path);
    expect(checkpoint).toMatch(/\S/);
    await expectStatus(page, 'live');
    await expectShown(page, ['before 1', 'before 2']);
    // Hydrated: the items are the elements the server rendered.
    expect(
      await page.$$eval('[data-testid=item]', (items) =>
        items.map((item) => (item as unknown as { fromServer?: boolean }).fromServer === true),
      ),
    ).toEqual([true, true]);

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

    // One read of the history, the server's; the browser's first request asks from the server's checkpoint.
    const reads = gets(path, mark);
    expect(reads.filter((request) => request.params.get('offset') === '-1')).toHaveLength(1);
    expect(reads[0].params.get('live')).toBeNull();
    expect(reads[1].params.get('offset')).toBe(checkpoint);
  });
});

describe('the Angular feed', () => {
  it('shows an item appended between the server render and hydration once, and loses none', async () => {
    const path = await servers.newStream('between');
    await append(path, 'rendered');
    const { page, html } = await openFeed(path, 'auto', () => append(path, 'between'));
    expect(serverRendered(html)).toEqual(['rendered']);
    await expectShown(page, ['rendered', 'between']);
    await expectStatus(page, 'live');
    await append(path, 'after');
    await expectShown(page, ['rendered', 'between', 'after']);
    await page.waitForTimeout(300);
    expect(await shown(page)).toEqual(['rendered', 'between', 'after']);
  });

  it('after a reload, the server renders the current list and the browser resumes from its checkpoint', async () => {
    const path = await servers.newStream('reload');
    await append(path, 'm1', 'm2');
    const { page } = await openFeed(path);
    await expectStatus(page, 'live');
    await append(path, 'm3');
    await expectShown(page, ['m1', 'm2', 'm3']);

    const mark = servers.streams.log.length;
    const start = Date.now();
    const response = await page.reload();
    const html = (await response?.text()) ?? '';
    expect(serverRendered(html)).toEqual(['m1', 'm2', 'm3']);
    await expectStatus(page, 'live');
    timings.push(`reload → live: ${Date.now() - start} ms`);
    await append(path, 'm4');
    await expectShown(page, ['m1', 'm2', 'm3', 'm4']);
    const offsets = gets(path, mark).map((request) => request.params.get('offset'));
    expect(offsets.filter((offset) => offset === '-1')).toHaveLength(1); // the server's render, not the browser
    // The first read after the server's render is the browser's, from the checkpoint handed over (the page before the
    // reload may still have logged a live request after the mark, before the render).
    expect(offsets[offsets.indexOf('-1') + 1]).toBe(handedCheckpoint(html, path));
  });

  it(`shows update and delete change messages within ${LATENCY_BUDGET_MS} ms, and the server renders the changed state`, async () => {
    const path = await servers.newStream('changes');
    await append(path, 'first', 'second', 'third'); // ids 1, 2, 3
    const { page } = await openFeed(path);
    await expectShown(page, ['first', 'second', 'third']);
    await expectStatus(page, 'live');

    // An update replaces the entity in place: the list stays in id order.
    let start = Date.now();
    await Promise.all([
      change(path, 'update', 2, 'second, edited'),
      expectShown(page, ['first', 'second, edited', 'third'], LATENCY_BUDGET_MS),
    ]);
    const updated = Date.now() - start;
    start = Date.now();
    await Promise.all([change(path, 'delete', 1), expectShown(page, ['second, edited', 'third'], LATENCY_BUDGET_MS)]);
    const deleted = Date.now() - start;
    timings.push(`change message → on screen: update ${updated} ms, delete ${deleted} ms`);

    const html = (await (await page.reload())?.text()) ?? '';
    expect(serverRendered(html)).toEqual(['second, edited', 'third']);
    await expectStatus(page, 'live');
    await append(path, 'fourth');
    await expectShown(page, ['second, edited', 'third', 'fourth']);
  });

  it('destroying the feed component closes its connection; creating it again reads the stream again', async () => {
    const path = await servers.newStream('destroy');
    await append(path, 'one');
    const { page } = await openFeed(path);
    await expectShown(page, ['one']);
    await expectStatus(page, 'live');
    // The live read holds a connection open on the server.
    expect(await until(() => servers.streams.openReads(path) === 1, 2_000)).toBeGreaterThanOrEqual(0);

    const mark = servers.streams.log.length;
    const clicked = Date.now();
    await page.getByTestId('toggle').click();
    expect(await until(() => servers.streams.openReads(path) === 0, 1_000)).toBeGreaterThanOrEqual(0);
    timings.push(`click "Stop feed" → server saw the connection close: ${Date.now() - clicked} ms`);
    await expect(page.getByTestId('items').count()).resolves.toBe(0);

    // Nothing reconnects, even when data arrives.
    await append(path, 'two');
    await page.waitForTimeout(500);
    expect(servers.streams.openReads(path)).toBe(0);
    expect(gets(path, mark)).toEqual([]);

    // Back on: a new resource reads the stream (the server's handover was used once), each item once.
    await page.getByTestId('toggle').click();
    await expectShown(page, ['one', 'two']);
    await expectStatus(page, 'live');
  });

  it('shows what examples/node-producer writes through the IdempotentProducer', async () => {
    const path = await servers.newStream('producer');
    const { page } = await openFeed(path);
    await expectStatus(page, 'live');
    const { stdout } = await promisify(execFile)(process.execPath, [
      join(ROOT, 'examples/node-producer/produce.mjs'),
      ...[
        '--server',
        servers.streams.url,
        '--stream',
        path,
        '--count',
        '5',
        '--interval',
        '20',
        '--prefix',
        'produced',
      ],
    ]);
    expect(stdout).toContain('done: 5 messages');
    await expectShown(page, ['produced 1', 'produced 2', 'produced 3', 'produced 4', 'produced 5'], 2_000);
  });
});
