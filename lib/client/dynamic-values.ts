/** A value sent on every request: fixed, or computed each time (a fresh auth token). */
export type DynamicValue = string | (() => string | Promise<string>);

/** Headers or query parameters whose values are evaluated on every request, retry and reconnect. */
export type DynamicRecord = Readonly<Record<string, DynamicValue | undefined>>;

/** Evaluates every value in order; the later record wins on equal (case-insensitive for headers) keys. */
export async function resolveDynamic(
  records: ReadonlyArray<DynamicRecord | undefined>,
  normalizeKey: (key: string) => string = (key) => key,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const record of records) {
    if (!record) continue;
    for (const key of Object.keys(record)) {
      const value = record[key];
      if (value === undefined) continue;
      out[normalizeKey(key)] = typeof value === 'function' ? await value() : value;
    }
  }
  return out;
}

/** Whether evaluating requires no await (the common case: no functions). */
export function isStatic(records: ReadonlyArray<DynamicRecord | undefined>): boolean {
  return records.every((record) => !record || Object.values(record).every((value) => typeof value !== 'function'));
}
