/**
 * Resolves after `ms`. For a spec that proves something does NOT happen (nothing more is sent, a read stays
 * open) or that spaces its own steps; to wait for something that should happen, use {@link until}.
 */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

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
    await sleep(10);
  }
}
