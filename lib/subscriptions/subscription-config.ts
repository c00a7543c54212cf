import { InvalidArgumentError } from '../errors/client-errors.js';
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
  if (config === null || typeof config !== 'object') fail('ensure(config) needs a configuration object');
  if (config.type !== 'pull-wake' && config.type !== 'webhook')
    fail(`type must be 'pull-wake' or 'webhook', got ${JSON.stringify(config.type)}`);
  const hasPattern = typeof config.pattern === 'string' && config.pattern.length > 0;
  if (config.pattern !== undefined && !hasPattern) fail('pattern must be a non-empty string');
  if (
    config.streams !== undefined &&
    (!Array.isArray(config.streams) || config.streams.some((path) => typeof path !== 'string' || path === ''))
  ) {
    fail('streams must be an array of non-empty stream paths');
  }
  if (!hasPattern && !(config.streams && config.streams.length > 0)) fail('give a pattern, streams, or both');
  if (config.type === 'pull-wake' && (typeof config.wakeStream !== 'string' || config.wakeStream === '')) {
    fail('a pull-wake subscription needs wakeStream, the stream its wake events are written to');
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
