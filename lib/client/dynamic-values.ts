import { DynamicValueError } from '../errors/client-errors.js';

/** A value sent on every request: fixed, or computed each time (a fresh auth token). */
export type DynamicValue = string | (() => string | Promise<string>);

/** Headers or query parameters whose values are evaluated on every request, retry and reconnect. */
export type DynamicRecord = Readonly<Record<string, DynamicValue | undefined>>;

/**
 * Evaluates every value in order; the later record wins on equal keys
 * (compared after `normalizeKey`: lower case for headers). A function that
 * throws, rejects or returns no string fails with a `DynamicValueError`
 * naming the entry, not a bare error from user code.
 */
export async function resolveDynamic(
  records: ReadonlyArray<DynamicRecord | undefined>,
  what: 'headers' | 'params',
  url: string,
  normalizeKey: (key: string) => string = (key) => key,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const record of records) {
    if (!record) continue;
    for (const key of Object.keys(record)) {
      const value = record[key];
      if (value === undefined) continue;
      out[normalizeKey(key)] = typeof value === 'function' ? await evaluate(value, `${what}['${key}']`, url) : value;
    }
  }
  return out;
}

async function evaluate(compute: () => string | Promise<string>, entry: string, url: string): Promise<string> {
  let value: unknown;
  try {
    value = await compute();
  } catch (error) {
    throw new DynamicValueError({ url, entry, cause: error });
  }
  if (typeof value !== 'string') throw new DynamicValueError({ url, entry, got: value === null ? 'null' : typeof value });
  return value;
}
