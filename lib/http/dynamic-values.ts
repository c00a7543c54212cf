import { DynamicValueError, InvalidArgumentError } from '../errors/client-errors.js';
import { headerProblem } from '../protocol/headers.js';
import { isPromiseLike } from '../util/is-promise-like.js';

/** A value sent on every request: fixed, or computed each time (a fresh auth token). */
export type DynamicValue = string | (() => string | Promise<string>);

/** Headers or query parameters whose values are evaluated on every request, retry and reconnect. */
export type DynamicRecord = Readonly<Record<string, DynamicValue | undefined>>;

/** Checks a headers or params option: an object of strings or functions. Throws `InvalidArgumentError` naming the bad entry. */
export function validateDynamicRecord(name: string, record: DynamicRecord | undefined): void {
  if (record === undefined) return;
  if (record === null || typeof record !== 'object') {
    throw new InvalidArgumentError(`${name} must be an object of strings or functions`);
  }
  for (const [key, value] of Object.entries(record)) {
    if (value !== undefined && typeof value !== 'string' && typeof value !== 'function') {
      throw new InvalidArgumentError(
        `${name}['${key}'] must be a string or a function returning one, got ${typeof value}`,
      );
    }
    const problem = name === 'headers' ? headerProblem(key, typeof value === 'string' ? value : '') : undefined;
    if (problem) throw new InvalidArgumentError(`${name}['${key}']: ${problem}; refused rather than rewritten`);
  }
}

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
  const entries = records.flatMap((record) => (record ? Object.entries(record) : []));
  return resolveFrom(entries, 0, {}, what, url, normalizeKey);
}

/** Resolves `entries` from `start` into `out`; at the first promise, waits for it and goes on from the next entry. */
function resolveFrom(
  entries: ReadonlyArray<[string, DynamicValue | undefined]>,
  start: number,
  out: Record<string, string>,
  what: 'headers' | 'params',
  url: string,
  normalizeKey: (key: string) => string,
): Record<string, string> | Promise<Record<string, string>> {
  for (let index = start; index < entries.length; index++) {
    const [key, value] = entries[index];
    if (value === undefined) continue;
    if (typeof value !== 'function') {
      out[normalizeKey(key)] = value;
      continue;
    }
    let computed: string | Promise<string>;
    try {
      computed = value();
    } catch (error) {
      throw new DynamicValueError({ url, entry: entryName(what, key), cause: error });
    }
    if (isPromiseLike<string>(computed)) {
      return Promise.resolve(computed).then(
        (resolved) => {
          out[normalizeKey(key)] = checked(resolved, what, key, url);
          return resolveFrom(entries, index + 1, out, what, url, normalizeKey);
        },
        (error: unknown) => {
          throw new DynamicValueError({ url, entry: entryName(what, key), cause: error });
        },
      );
    }
    out[normalizeKey(key)] = checked(computed, what, key, url);
  }
  return out;
}

const entryName = (what: 'headers' | 'params', key: string) => `${what}['${key}']`;

function checked(value: unknown, what: 'headers' | 'params', key: string, url: string): string {
  if (typeof value !== 'string')
    throw new DynamicValueError({ url, entry: entryName(what, key), got: value === null ? 'null' : typeof value });
  const problem = what === 'headers' ? headerProblem(key, value) : undefined;
  if (problem) throw new DynamicValueError({ url, entry: entryName(what, key), problem });
  return value;
}
