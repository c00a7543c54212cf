import type { RequestExecutor } from './request-executor.js';

/*
 * Internal: never exported from a public entry. Packages of this SDK that
 * build on a client (the subscriptions entry) reach its executor here, so
 * DurableStreamsClient keeps nothing on its public surface for them.
 */
const executors = new WeakMap<object, RequestExecutor>();

/** Records `client`'s executor. Called once, by the client's constructor. */
export function registerClientExecutor(client: object, executor: RequestExecutor): void {
  executors.set(client, executor);
}

/** The executor of a client made by this SDK; undefined for anything else. */
export function clientExecutor(client: object): RequestExecutor | undefined {
  return executors.get(client);
}
