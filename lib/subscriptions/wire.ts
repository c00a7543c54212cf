import { ParseError } from '../errors/client-errors.js';
import type {
  Ack,
  AckResult,
  PendingStream,
  Subscription,
  SubscriptionConfig,
  SubscriptionStream,
  WakeClaim,
  WakeEvent,
  WakeRef,
  WebhookNotification,
  WebhookSigning,
} from './subscription-types.js';

/*
 * The subscription wire is snake_case JSON (PROTOCOL.md 6 and 7); our types
 * are camelCase. Outgoing bodies are built here; incoming ones are checked
 * field by field, so a proxy's page or a server bug fails with a ParseError
 * naming the field rather than an undefined somewhere later.
 */

type Json = Record<string, unknown>;

/** The PUT body of `ensure()`. */
export function configToWire(config: SubscriptionConfig): Json {
  return dropUndefined({
    type: config.type,
    pattern: config.pattern,
    streams: config.streams === undefined ? undefined : [...config.streams],
    webhook: config.webhook === undefined ? undefined : { url: config.webhook.url },
    wake_stream: config.wakeStream,
    lease_ttl_ms: config.leaseTtlMs,
    description: config.description,
  });
}

/** The body of an ack, heartbeat (no acks, no done) or webhook callback. */
export function ackToWire(wake: Pick<WakeRef, 'wakeId' | 'generation'>, acks: readonly Ack[], done: boolean): Json {
  const body: Json = { wake_id: wake.wakeId, generation: wake.generation };
  if (acks.length > 0) body['acks'] = acks.map((ack) => ({ stream: ack.stream, offset: ack.offset }));
  if (done) body['done'] = true;
  return body;
}

/** The body of a release. */
export function releaseToWire(wake: Pick<WakeRef, 'wakeId' | 'generation'>): Json {
  return { wake_id: wake.wakeId, generation: wake.generation };
}

/** A parsed JSON body, or a ParseError saying what arrived instead. */
export function parseJsonBody(text: string, what: string, url: string): Json {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ParseError({
      url,
      what: `${what}: the response is not JSON (${JSON.stringify(text.slice(0, 80))})`,
      cause: error,
    });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ParseError({ url, what: `${what}: the response is not a JSON object` });
  }
  return value as Json;
}

/** A subscription from GET / PUT. */
export function subscriptionFromWire(body: Json, url: string): Subscription {
  const read = reader(body, 'subscription', url);
  const webhook = read.optionalObject('webhook');
  return {
    id: read.string('id'),
    type: read.oneOf('type', ['pull-wake', 'webhook'] as const),
    pattern: read.optionalString('pattern'),
    streams: read.array('streams').map((item, index) => streamFromWire(item, `streams[${index}]`, url)),
    wakeStream: read.optionalString('wake_stream'),
    webhook: webhook === undefined ? undefined : webhookFromWire(webhook, url),
    leaseTtlMs: read.number('lease_ttl_ms'),
    createdAt: read.optionalString('created_at') ?? '',
    status: read.optionalString('status') ?? 'active',
    description: read.optionalString('description'),
  };
}

/** A successful claim. */
export function claimFromWire(body: Json, url: string): WakeClaim {
  const read = reader(body, 'claim', url);
  return {
    wakeId: read.string('wake_id'),
    generation: read.number('generation'),
    token: read.string('token'),
    streams: read.array('streams').map((item, index) => pendingFromWire(item, `claim streams[${index}]`, url)),
    leaseTtlMs: read.number('lease_ttl_ms'),
  };
}

/** An ack's answer; a body without `next_wake` (a heartbeat on some servers) means false. */
export function ackResultFromWire(body: Json, url: string): AckResult {
  return { nextWake: reader(body, 'ack', url).optionalBoolean('next_wake') ?? false };
}

/** A wake event read from a wake stream, or undefined when the message is not one (a shared stream may carry others). */
export function wakeEventFromWire(message: unknown): WakeEvent | undefined {
  if (message === null || typeof message !== 'object') return undefined;
  const event = message as Json;
  if (event['type'] !== 'wake' || typeof event['subscription_id'] !== 'string') return undefined;
  return {
    subscriptionId: event['subscription_id'],
    stream: typeof event['stream'] === 'string' ? event['stream'] : '',
    generation: typeof event['generation'] === 'number' ? event['generation'] : 0,
    ts: typeof event['ts'] === 'number' ? event['ts'] : 0,
  };
}

/** A webhook delivery's body, after its signature was verified. */
export function notificationFromWire(body: Json, url: string): WebhookNotification {
  const read = reader(body, 'webhook notification', url);
  return {
    subscriptionId: read.string('subscription_id'),
    wakeId: read.string('wake_id'),
    generation: read.number('generation'),
    streams: read.array('streams').map((item, index) => pendingFromWire(item, `notification streams[${index}]`, url)),
    callbackUrl: read.string('callback_url'),
    callbackToken: read.string('callback_token'),
  };
}

const LINK_TYPES = ['glob', 'explicit'] as const;

function streamFromWire(item: unknown, what: string, url: string): SubscriptionStream {
  const read = reader(asObject(item, what, url), what, url);
  return {
    path: read.string('path'),
    linkType: read.oneOf('link_type', LINK_TYPES),
    ackedOffset: read.string('acked_offset'),
  };
}

function pendingFromWire(item: unknown, what: string, url: string): PendingStream {
  const read = reader(asObject(item, what, url), what, url);
  const ackedOffset = read.string('acked_offset');
  const tailOffset = read.string('tail_offset');
  return {
    path: read.string('path'),
    linkType: read.oneOf('link_type', LINK_TYPES),
    ackedOffset,
    tailOffset,
    hasPending: read.optionalBoolean('has_pending') ?? tailOffset > ackedOffset,
  };
}

function webhookFromWire(webhook: Json, url: string): NonNullable<Subscription['webhook']> {
  const read = reader(webhook, 'subscription webhook', url);
  const signing = read.optionalObject('signing');
  return { url: read.string('url'), signing: signing === undefined ? undefined : signingFromWire(signing, url) };
}

function signingFromWire(signing: Json, url: string): WebhookSigning {
  const read = reader(signing, 'webhook signing', url);
  return { alg: read.string('alg'), kid: read.string('kid'), jwksUrl: read.string('jwks_url') };
}

function asObject(value: unknown, what: string, url: string): Json {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new ParseError({ url, what: `${what} is not a JSON object` });
  return value as Json;
}

/** Typed field access that names the missing or mistyped field. */
function reader(body: Json, what: string, url: string) {
  const fail = (name: string, expected: string): never => {
    throw new ParseError({ url, what: `${what}: '${name}' is ${describe(body[name])}, expected ${expected}` });
  };
  /** The field if it has the JavaScript type `type` (not an array), undefined if absent or null; fails otherwise. */
  const optional = (name: string, type: string, expected: string): unknown => {
    const value = body[name];
    if (value === undefined || value === null) return undefined;
    return typeof value === type && !Array.isArray(value) ? value : fail(name, expected);
  };
  return {
    string: (name: string): string =>
      (optional(name, 'string', 'a string') as string | undefined) ?? fail(name, 'a string'),
    number: (name: string): number =>
      (optional(name, 'number', 'a number') as number | undefined) ?? fail(name, 'a number'),
    optionalString: (name: string) => optional(name, 'string', 'a string') as string | undefined,
    optionalBoolean: (name: string) => optional(name, 'boolean', 'true or false') as boolean | undefined,
    optionalObject: (name: string) => optional(name, 'object', 'an object') as Json | undefined,
    array: (name: string): unknown[] =>
      Array.isArray(body[name]) ? (body[name] as unknown[]) : fail(name, 'an array'),
    oneOf: <T extends string>(name: string, values: readonly T[]): T =>
      values.includes(body[name] as T)
        ? (body[name] as T)
        : fail(name, values.map((value) => `'${value}'`).join(' or ')),
  };
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  return Array.isArray(value)
    ? 'an array'
    : value === null
      ? 'null'
      : `${typeof value} ${JSON.stringify(value).slice(0, 40)}`;
}

function dropUndefined(body: Json): Json {
  return Object.fromEntries(Object.entries(body).filter(([, value]) => value !== undefined));
}
