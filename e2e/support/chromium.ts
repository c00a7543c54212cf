import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { chromium, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';

/** The system Chromium: $CHROMIUM_PATH, else `chromium` (or `chromium-browser`) on PATH. Never a downloaded build. */
export function findChromium(): string {
  const candidates = [process.env['CHROMIUM_PATH'] ?? ''];
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    candidates.push(join(dir, 'chromium'), join(dir, 'chromium-browser'));
  }
  candidates.push('/usr/bin/chromium');
  for (const candidate of candidates) {
    if (!candidate) continue;
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  throw new Error('No Chromium found: install it (apt-get install -y chromium) or set CHROMIUM_PATH');
}

export interface Browser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Headless Chromium with a fresh profile, removed again on close. */
export async function launchChromium(): Promise<Browser> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'durable-feed-e2e-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: findChromium(),
    headless: true,
    args: ARGS,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** A headless Chromium whose contexts are apart: each its own storage (IndexedDB, Web Locks), network and offline switch. */
export interface Browsers {
  /** A new context: as another browser (another device) would be. */
  newContext(options?: BrowserContextOptions): Promise<BrowserContext>;
  close(): Promise<void>;
}

/** Headless Chromium for pages that must not share storage: two users, two devices. */
export async function launchChromiumContexts(): Promise<Browsers> {
  const browser = await chromium.launch({ executablePath: findChromium(), headless: true, args: ARGS });
  return { newContext: (options) => browser.newContext(options), close: () => browser.close() };
}

/**
 * Collects into `errors` what goes wrong in `page`: uncaught errors, and console errors but the failed requests
 * Chromium logs while the streams server is cut (`net::ERR_`) and the 409 a producer's batch gets when it overtakes
 * its predecessor on another connection (the producer resends it, see lib/produce/send-batch.ts).
 */
export function watchPage(page: Page, errors: string[]): Page {
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    const text = message.text();
    const expected = text.includes('net::ERR_') || text.includes('status of 409 (Conflict)');
    if (message.type() === 'error' && !expected) errors.push(text);
  });
  return page;
}

/** Resolves once `check` holds, polling; fails after `timeoutMs`. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${check.toString()}`);
    await new Promise((done) => setTimeout(done, 50));
  }
}
