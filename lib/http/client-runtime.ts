import { connectivity, type Connectivity } from '../retry/connectivity.js';
import type { ResolvedClientOptions } from './client-options.js';
import { RequestExecutor } from './request-executor.js';

/**
 * A part of a client's runtime that a layer above this one builds from it
 * on first use and keeps for the client's life, such as the read path's
 * shared tails and live-request decorators: the function that makes it,
 * which is also its key. Only the layer that defines a part asks for it, so
 * an app that never reads never carries the read path's part.
 */
export type RuntimePart<T extends object> = (runtime: ClientRuntime) => T;

/**
 * Everything a client's streams share, one per client: its resolved
 * options, the executor that runs its requests, the platform's network
 * signals, and the parts the layers above build on them. Made by the
 * client's constructor and handed down in every `StreamContext`; on no
 * public surface (the client keeps it in a private field).
 */
export interface ClientRuntime {
  /** The client's options, validated, defaults filled in. */
  readonly options: ResolvedClientOptions;
  /** Runs every request of the client: dynamic values, exchange, typed errors, retry. */
  readonly http: RequestExecutor;
  /** The platform's network signals, one set of listeners and one clock check for all the client's reads and producers. */
  readonly connectivity: Connectivity;
  /** The part `make` makes for this client (an object): made on the first call, the same one after (see {@link RuntimePart}). */
  part<T extends object>(make: RuntimePart<T>): T;
}

/** The runtime of a client with `options`. No I/O, no listeners until a read subscribes. */
export function clientRuntime(options: ResolvedClientOptions): ClientRuntime {
  const parts = new Map<RuntimePart<object>, object>();
  const runtime: ClientRuntime = {
    options,
    http: new RequestExecutor(options),
    connectivity: connectivity(undefined, options.scheduler),
    part: <T extends object>(make: RuntimePart<T>): T => {
      let part = parts.get(make) as T | undefined;
      if (!part) parts.set(make, (part = make(runtime)));
      return part;
    },
  };
  return runtime;
}
