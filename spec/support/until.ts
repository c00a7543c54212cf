/**
 * Resolves once `predicate` holds, polling every 10 ms (so no listener stays behind); fails naming `what` after
 * `timeoutMs`. The default is a safety net for a loaded machine; a wait that is itself the bound a spec asserts
 * ("closes at once") passes its own.
 */
export async function until(
  predicate: () => boolean | Promise<boolean>,
  what: string | (() => string | Promise<string>),
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : await what()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
