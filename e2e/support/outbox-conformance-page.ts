/**
 * The page of e2e/indexed-db-outbox.e2e.ts, bundled for the browser by
 * esbuild: the outbox conformance specs (spec/support/producer-outbox-
 * conformance.ts, the same file jest runs in Node) on the browser's own
 * IndexedDB and Web Locks, through a small stand-in for jest's `describe`,
 * `it`, hooks and the `expect` matchers those specs use. `window.conformance`
 * runs them and answers each spec's outcome; `window.outboxes` lets the e2e
 * drive outboxes across tabs and reloads.
 */
import { indexedDbOutbox } from '../../lib/index';
import type { OutboxSession } from '../../lib/index';
import { describeProducerOutbox } from '../../spec/support/producer-outbox-conformance';

type Hook = () => unknown;
interface Spec {
  readonly name: string;
  readonly run: Hook;
}
const specs: Spec[] = [];
const before: Hook[] = [];
const after: Hook[] = [];
let prefix = '';

const globals = globalThis as Record<string, unknown>;
globals['describe'] = (name: string, body: () => void) => {
  const outer = prefix;
  prefix = `${outer}${name} › `;
  body();
  prefix = outer;
};
globals['it'] = (name: string, run: Hook) => specs.push({ name: `${prefix}${name}`, run });
globals['beforeEach'] = (hook: Hook) => before.push(hook);
globals['afterEach'] = (hook: Hook) => after.push(hook);

/** Deep equality as jest's toEqual: properties whose value is undefined count as absent. */
function equal(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keys = (value: object) =>
    Object.keys(value).filter((key) => (value as Record<string, unknown>)[key] !== undefined);
  const [ka, kb] = [keys(a), keys(b)];
  return (
    ka.length === kb.length &&
    ka.every((key) => equal((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]))
  );
}

const show = (value: unknown) => JSON.stringify(value, (_key, v: unknown) => (v === undefined ? '<undefined>' : v));

function fail(message: string): never {
  throw new Error(message);
}

globals['expect'] = (actual: unknown) => ({
  toEqual: (expected: unknown) => equal(actual, expected) || fail(`expected ${show(expected)}, got ${show(actual)}`),
  toBe: (expected: unknown) => Object.is(actual, expected) || fail(`expected ${show(expected)}, got ${show(actual)}`),
  rejects: {
    toBeInstanceOf: async (type: new (...args: never[]) => unknown) => {
      const error = await (actual as Promise<unknown>).then(
        () => fail(`expected a rejection with ${type.name}, it resolved`),
        (failure: unknown) => failure,
      );
      if (!(error instanceof type)) fail(`expected a ${type.name}, got ${String(error)}`);
    },
    toThrow: async () => {
      await (actual as Promise<unknown>).then(
        () => fail('expected a rejection, it resolved'),
        () => undefined,
      );
    },
  },
});

let counter = 0;

const conformance = {
  /** Runs every conformance spec on a fresh outbox each, one after the other: [{ name, error? }]. */
  async run(): Promise<Array<{ name: string; error?: string }>> {
    describeProducerOutbox('indexedDbOutbox() in Chromium', () => {
      const name = `conformance-${Date.now()}-${counter++}`;
      return { outbox: indexedDbOutbox(name), reopen: () => indexedDbOutbox(name) };
    });
    const results: Array<{ name: string; error?: string }> = [];
    for (const spec of specs) {
      let error: string | undefined;
      try {
        for (const hook of before) await hook();
        await spec.run();
      } catch (failure) {
        error = failure instanceof Error ? `${failure.name}: ${failure.message}` : String(failure);
      }
      try {
        for (const hook of after) await hook();
      } catch (failure) {
        error ??= `afterEach: ${String(failure)}`;
      }
      results.push(error === undefined ? { name: spec.name } : { name: spec.name, error });
    }
    return results;
  },
};

const sessions = new Map<string, OutboxSession>();
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Outboxes driven from the e2e, by name: texts in, texts out. */
const outboxes = {
  /** Opens outbox `name`; answers the texts it holds, or the error's name. */
  async open(name: string): Promise<{ texts: string[] } | { error: string; holder?: string }> {
    try {
      const session = await indexedDbOutbox(name).open();
      sessions.set(name, session);
      return { texts: session.contents.batches.map((batch) => decoder.decode(batch.body)) };
    } catch (error) {
      return { error: (error as Error).constructor.name, holder: (error as { holder?: string }).holder };
    }
  },
  /** Opens outbox `name` once it is free, trying every 100 ms for 5 s (a closed tab's lock is released a moment later). */
  async take(name: string): Promise<{ texts: string[] } | { error: string; holder?: string }> {
    let opened = await outboxes.open(name);
    for (let attempt = 0; attempt < 50 && 'error' in opened; attempt++) {
      await new Promise((done) => setTimeout(done, 100));
      opened = await outboxes.open(name);
    }
    return opened;
  },
  /** Saves one batch per text after what `name` holds. */
  async put(name: string, texts: readonly string[], firstSeq: number): Promise<void> {
    const session = sessions.get(name) ?? fail(`${name} is not open`);
    await session.write({
      put: texts.map((text, index) => ({
        epoch: 1,
        seq: firstSeq + index,
        count: 1,
        body: encoder.encode(text),
        sizes: undefined,
        close: false,
        contentType: 'text/plain',
      })),
      position: {
        url: 'http://127.0.0.1:1/v1/stream/e2e',
        producerId: name,
        epoch: 1,
        nextSeq: firstSeq + texts.length,
        contentType: 'text/plain',
      },
    });
  },
  async close(name: string): Promise<void> {
    await sessions.get(name)?.close();
    sessions.delete(name);
  },
};

globals['conformance'] = conformance;
globals['outboxes'] = outboxes;
