import { InvalidArgumentError } from '../errors/client-errors.js';
import { checkName } from './subscription-names.js';
import type { SubscriptionConfig } from './subscription-types.js';

/** The lease bounds of PROTOCOL.md 6.2. */
export const MIN_LEASE_TTL_MS = 1_000;
export const MAX_LEASE_TTL_MS = 600_000;

/**
 * Checks a configuration before anything is sent, naming the field and the
 * rule, so a mistake fails where it is made rather than as a server 400.
 */
export function validateSubscriptionConfig(config: SubscriptionConfig, subscriptionId: string): void {
  const fail = (message: string): never => {
    throw new InvalidArgumentError(`Subscription '${subscriptionId}': ${message}`);
  };
  // Checked as unknown: callers in plain JavaScript are not held to the types.
  if ((config as unknown) === null || typeof (config as unknown) !== 'object')
    fail('ensure(config) needs a configuration object');
  const type: unknown = config.type;
  if (type !== 'pull-wake' && type !== 'webhook')
    fail(`type must be 'pull-wake' or 'webhook', got ${JSON.stringify(type)}`);
  const where = `Subscription '${subscriptionId}'`;
  if (config.pattern !== undefined) checkName('pattern', config.pattern, where);
  if (config.streams !== undefined) {
    if (!Array.isArray(config.streams)) fail('streams must be an array of stream paths');
    for (const path of config.streams) checkName('stream path', path, `${where}, streams`);
  }
  if (config.pattern === undefined && !(config.streams && config.streams.length > 0))
    fail('give a pattern, streams, or both');
  if (config.type === 'pull-wake') {
    if (config.wakeStream === undefined)
      fail('a pull-wake subscription needs wakeStream, the stream its wake events are written to');
    checkName('stream path', config.wakeStream, `${where}, wakeStream`);
  }
  if (config.type === 'webhook' && (typeof config.webhook?.url !== 'string' || config.webhook.url === '')) {
    fail('a webhook subscription needs webhook.url');
  }
  const ttl = config.leaseTtlMs;
  if (ttl !== undefined && !(Number.isInteger(ttl) && ttl >= MIN_LEASE_TTL_MS && ttl <= MAX_LEASE_TTL_MS)) {
    fail(`leaseTtlMs must be a whole number of ms from ${MIN_LEASE_TTL_MS} to ${MAX_LEASE_TTL_MS}, got ${ttl}`);
  }
  if (config.description !== undefined && typeof config.description !== 'string') fail('description must be a string');
}
