/**
 * The page of e2e/many-reads.e2e.ts, bundled for the browser by esbuild: an
 * app with one client that reads and appends as the spec tells it (through
 * `window.app`), and records what every read received.
 */
import { firstValueFrom, type Subscription } from 'rxjs';
import { DurableStreamsClient, type LiveMode, appendJson, readJson } from '../../lib/index';

interface Reader {
  readonly path: string;
  readonly items: unknown[];
  done: boolean;
  error?: string;
  subscription?: Subscription;
}

const readers: Reader[] = [];
let client: DurableStreamsClient | undefined;

const app = {
  /** Makes the page's client (once). */
  connect(baseUrl: string, options: { shareAcrossTabs?: boolean; maxDelayMs?: number } = {}): void {
    client ??= new DurableStreamsClient({
      baseUrl,
      ...(options.shareAcrossTabs === undefined ? {} : { shareAcrossTabs: options.shareAcrossTabs }),
      retry: { initialDelayMs: 50, maxDelayMs: options.maxDelayMs ?? 1_000 },
    });
  },
  /** Starts a live JSON read; returns its index. */
  read(path: string, live: LiveMode, offset = '-1'): number {
    const reader: Reader = { path, items: [], done: false };
    reader.subscription = readJson(client!.stream(path), { live, from: offset }).subscribe({
      next: (batch) => reader.items.push(...batch.items),
      complete: () => (reader.done = true),
      error: (error: Error) => (reader.error = `${error.name}: ${error.message}`),
    });
    return readers.push(reader) - 1;
  },
  stop(index: number): void {
    readers[index]?.subscription?.unsubscribe();
  },
  /** Appends one JSON value; resolves with the milliseconds it took. */
  async appendJson(path: string, value: unknown): Promise<number> {
    const start = performance.now();
    await firstValueFrom(appendJson(client!.stream(path), value));
    return Math.round(performance.now() - start);
  },
  received(): Array<{ path: string; items: unknown[]; done: boolean; error?: string }> {
    return readers.map(({ path, items, done, error }) => ({
      path,
      items: [...items],
      done,
      ...(error ? { error } : {}),
    }));
  },
};

(globalThis as unknown as { app: typeof app }).app = app;
