import { DynamicValueError } from '../errors/client-errors.js';
import { isPromiseLike } from '../util/is-promise-like.js';

/** A value sent on every request: fixed, or computed each time (a fresh auth token). */
export type DynamicValue = string | (() => string | Promise<string>);

/** Headers or query parameters whose values are evaluated on every request, retry and reconnect. */
export type DynamicRecord = Readonly<Record<string, DynamicValue | undefined>>;

/**
 * Evaluates every value in order; the later record wins on equal keys
 * (compared after `normalizeKey`: lower case for headers). A function that
 * throws, rejects or returns no string fails with a `DynamicValueError`
 * naming the entry, not a bare error from user code.
 *
 * Synchronous while every value is: plain strings and functions returning
 * strings cost no promise and no tick, so a request can leave at once (a
 * producer's batch, even inside a synchronous burst of appends). The first
 * value that is a promise turns the rest asynchronous.
 */
export function resolveDynamic(
  records: ReadonlyArray<DynamicRecord | undefined>,
  what: 'headers' | 'params',
  url: string,
  normalizeKey: (key: string) => string = (key) => key,
): Record<string, string> | Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const entries = records.flatMap((record) => (record ? Object.entries(record) : []));
  for (let index = 0; index < entries.length; index++) {
    const [key, value] = entries[index]!;
    if (value === undefined) continue;
    if (typeof value !== 'function') {
      out[normalizeKey(key)] = value;
      continue;
    }
    const entry = `${what}['${key}']`;
    let computed: string | Promise<string>;
    try {
      computed = value();
    } catch (error) {
      throw new DynamicValueError({ url, entry, cause: error });
    }
    if (isPromiseLike<string>(computed)) return finishAsync(out, entries, index, computed, what, url, normalizeKey);
    out[normalizeKey(key)] = checked(computed, entry, url);
  }
  return out;
}

async function finishAsync(
  out: Record<string, string>,
  entries: ReadonlyArray<[string, DynamicValue | undefined]>,
  index: number,
  pending: PromiseLike<string>,
  what: 'headers' | 'params',
  url: string,
  normalizeKey: (key: string) => string,
): Promise<Record<string, string>> {
  for (let i = index; i < entries.length; i++) {
    const [key, value] = entries[i]!;
    if (value === undefined) continue;
    const entry = `${what}['${key}']`;
    let computed: unknown;
    try {
      computed = await (i === index ? pending : typeof value === 'function' ? value() : value);
    } catch (error) {
      throw new DynamicValueError({ url, entry, cause: error });
    }
    out[normalizeKey(key)] = checked(computed, entry, url);
  }
  return out;
}

function checked(value: unknown, entry: string, url: string): string {
  if (typeof value !== 'string') throw new DynamicValueError({ url, entry, got: value === null ? 'null' : typeof value });
  return value;
}
