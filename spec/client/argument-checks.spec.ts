/**
 * Issue #22 item 6: a bad argument fails at the call, with an
 * InvalidArgumentError that names the argument and says what to pass,
 * whatever the function returns (a cold Observable, a producer, an operator,
 * providers): nothing waits for a subscribe to say the call was wrong, and
 * nothing is sent. Every public function of every entry, one bad call or
 * more each; the casts stand for JavaScript callers and `any`.
 */
import '@angular/compiler';
import { HttpClient } from '@angular/common/http';
import {
  append,
  appendJson,
  clearCheckpoint,
  closeStream,
  consume,
  createStream,
  deleteStream,
  documentVisibility,
  DurableStreamsClient,
  fetchTransport,
  forkStream,
  headStream,
  idempotentProducer,
  indexedDbOutbox,
  InvalidArgumentError,
  loadCheckpoint,
  persistCheckpoint,
  readBytes,
  readJson,
  readText,
  resumable,
  retryWithBackoff,
  saveCheckpoint,
  streamExists,
  tabProducer,
  type HttpTransport,
} from '../../lib/index';
import { undiciTransport } from '../../lib/undici';
import { fileOutbox } from '../../lib/node/index';
import {
  httpClientTransport,
  injectProducer,
  provideDurableStreams,
  withCrossTabSharing,
  withFetchTransport,
} from '../../lib/angular/index';
import { withDurableState } from '../../lib/angular/signals/index';
import { subscription, webhookReceiver, WebhookVerifier } from '../../lib/subscriptions/index';
import { createStateSchema, materialize, stateStore } from '../../lib/state/index';

/** A transport that records what it is asked and never answers: no call here may reach it. */
const transport = {
  calls: 0,
  request(): Promise<never> {
    transport.calls++;
    return new Promise<never>(() => undefined);
  },
} satisfies HttpTransport & { calls: number };

const client = new DurableStreamsClient({ baseUrl: 'http://streams.test/v1/stream', transport });
const stream = client.stream('s');
const storage = { getItem: () => null, setItem: () => undefined };
/** Stands for a value of the wrong type, as JavaScript (or `any`) passes it. */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- T is the type the value pretends to have
const bad = <T>(value: unknown): T => value as T;

type Case = readonly [call: string, run: () => unknown, message: RegExp];

const cases: Record<string, readonly Case[]> = {
  'durable-streams-rx': [
    [
      'new DurableStreamsClient(url)',
      () => new DurableStreamsClient(bad('http://x/v1/stream')),
      /options must be an object/,
    ],
    ['new DurableStreamsClient({ timeoutMs: -1 })', () => new DurableStreamsClient({ timeoutMs: -1 }), /timeoutMs/],
    ['client.stream(42)', () => client.stream(bad(42)), /urlOrPath/],
    [
      "client.stream('s', 'application/json')",
      () => client.stream('s', bad('application/json')),
      /options must be an object/,
    ],
    [
      "client.stream('s', { contentType: 42 })",
      () => client.stream('s', bad({ contentType: 42 })),
      /contentType must be a/,
    ],
    [
      "createStream(s, 'application/json')",
      () => createStream(stream, bad('application/json')),
      /options must be an object/,
    ],
    ['createStream(s, { ttlSeconds: -1 })', () => createStream(stream, { ttlSeconds: -1 }), /ttlSeconds/],
    [
      'createStream(s, { body: 42 })',
      () => createStream(stream, bad({ body: 42 })),
      /body must be a Uint8Array or a string/,
    ],
    [
      'createStream(s, { contentType: 42 })',
      () => createStream(stream, bad({ contentType: 42 })),
      /contentType must be a/,
    ],
    ['append(s, 42)', () => append(stream, bad(42)), /data must be a Uint8Array or a string/],
    ["append(s, '')", () => append(stream, ''), /empty/],
    ["append(s, 'x', { delivery: 'twice' })", () => append(stream, 'x', bad({ delivery: 'twice' })), /delivery/],
    ["append(s, 'x', { seq: '' })", () => append(stream, 'x', { seq: '' }), /seq must be a non-empty string/],
    ["append(s, 'x', { headers: 42 })", () => append(stream, 'x', bad({ headers: 42 })), /headers must be an object/],
    [
      "append(s, 'x', { retry: { maxRetries: -1 } })",
      () => append(stream, 'x', { retry: { maxRetries: -1 } }),
      /maxRetries/,
    ],
    ['appendJson(s, undefined)', () => appendJson(stream, undefined), /not serializable as JSON/],
    ['appendJson(s, 1n)', () => appendJson(stream, 1n), /not serializable as JSON/],
    [
      'closeStream(s, { body: 42 })',
      () => closeStream(stream, bad({ body: 42 })),
      /body must be a Uint8Array or a string/,
    ],
    [
      "closeStream(s, { body: 'x', delivery: 'twice' })",
      () => closeStream(stream, bad({ body: 'x', delivery: 'twice' })),
      /delivery/,
    ],
    [
      'headStream(s, { params: { page: 1 } })',
      () => headStream(stream, bad({ params: { page: 1 } })),
      /params\['page'\]/,
    ],
    [
      "streamExists(s, { headers: { 'bad name': 'x' } })",
      () => streamExists(stream, { headers: { 'bad name': 'x' } }),
      /headers\['bad name'\]/,
    ],
    ["deleteStream(s, 'now')", () => deleteStream(stream, bad('now')), /options must be an object/],
    ["forkStream(s, '')", () => forkStream(stream, ''), /target/],
    ["forkStream(s, 'copy', { subOffset: -1 })", () => forkStream(stream, 'copy', { subOffset: -1 }), /subOffset/],
    [
      "forkStream(s, 'copy', { ttlSeconds, expiresAt })",
      () => forkStream(stream, 'copy', { ttlSeconds: 1, expiresAt: new Date() }),
      /ttlSeconds or expiresAt/,
    ],
    ["readJson(s, { live: 'websocket' })", () => readJson(stream, bad({ live: 'websocket' })), /live must be/],
    ['readBytes(s, { from: 42 })', () => readBytes(stream, bad({ from: 42 })), /starts from an offset/],
    [
      "readText(s, { onError: 'retry' })",
      () => readText(stream, bad({ onError: 'retry' })),
      /onError must be a function/,
    ],
    ['readJson(s, { longPollTimeoutMs: 0 })', () => readJson(stream, { longPollTimeoutMs: 0 }), /longPollTimeoutMs/],
    ["readJson(s, 'sse')", () => readJson(stream, bad('sse')), /options must be an object/],
    ["idempotentProducer(s, '')", () => idempotentProducer(stream, ''), /producerId/],
    [
      "idempotentProducer(s, 'p', { maxInFlight: 0 })",
      () => idempotentProducer(stream, 'p', { maxInFlight: 0 }),
      /maxInFlight/,
    ],
    ["indexedDbOutbox('')", () => indexedDbOutbox(''), /name must be a non-empty string/],
    ["indexedDbOutbox('compose', 'db')", () => indexedDbOutbox('compose', bad('db')), /options must be an object/],
    [
      "indexedDbOutbox('compose', { database: '' })",
      () => indexedDbOutbox('compose', { database: '' }),
      /database must be a non-empty string/,
    ],
    ["tabProducer({ url }, 'compose')", () => tabProducer(bad({ url: 'http://x/s' }), 'compose'), /stream handle/],
    ["tabProducer(s, '')", () => tabProducer(stream, ''), /name must be a non-empty string/],
    ["tabProducer(s, 'compose', 'db')", () => tabProducer(stream, 'compose', bad('db')), /options must be an object/],
    [
      "tabProducer(s, 'compose', { database: '' })",
      () => tabProducer(stream, 'compose', { database: '' }),
      /database must be a non-empty string/,
    ],
    [
      "tabProducer(s, 'compose', { maxInFlight: 0 })",
      () => tabProducer(stream, 'compose', { maxInFlight: 0 }),
      /maxInFlight/,
    ],
    [
      'consume({ url }, handler, options)',
      () => consume(bad({ url: 'http://x/s' }), () => undefined, { storage, key: 'k' }),
      /stream handle/,
    ],
    [
      "consume(s, 'handler', options)",
      () => consume(stream, bad<() => void>('handler'), { storage, key: 'k' }),
      /handler must be a function/,
    ],
    ['consume(s, handler, {})', () => consume(stream, () => undefined, bad({})), /storage/],
    [
      "consume(s, handler, { storage, key, from: '' })",
      () => consume(stream, () => undefined, { storage, key: 'k', from: '' }),
      /from/,
    ],
    ['resumable(read, {})', () => resumable(() => [], bad<{ storage: typeof storage; key: string }>({})), /storage/],
    ["persistCheckpoint('k')", () => persistCheckpoint(bad('k')), /options \{ storage, key \}/],
    ["loadCheckpoint({ storage: {}, key: 'k' })", () => loadCheckpoint({ storage: bad({}), key: 'k' }), /getItem/],
    [
      "saveCheckpoint({ offset: '' }, options)",
      () => saveCheckpoint({ offset: '' }, { storage, key: 'k' }),
      /checkpoint/,
    ],
    ["clearCheckpoint({ storage, key: '' })", () => clearCheckpoint({ storage, key: '' }), /key/],
    ['retryWithBackoff({ maxRetries: -1 })', () => retryWithBackoff({ maxRetries: -1 }), /maxRetries/],
    ['fetchTransport({ fetch: 42 })', () => fetchTransport(bad({ fetch: 42 })), /fetch must be a function/],
    ['documentVisibility({})', () => documentVisibility(bad({})), /source must be a document/],
  ],
  'durable-streams-rx/undici': [
    ['undiciTransport({ connections: 0 })', () => undiciTransport({ connections: 0 }), /connections/],
    ["undiciTransport('http://x')", () => undiciTransport(bad('http://x')), /options must be an object/],
  ],
  'durable-streams-rx/node': [
    ["fileOutbox('')", () => fileOutbox(''), /dir must be a directory's path/],
    ['fileOutbox(undefined)', () => fileOutbox(bad(undefined)), /dir must be a directory's path/],
  ],
  'durable-streams-rx/angular': [
    [
      "provideDurableStreams('/v1/stream')",
      () => provideDurableStreams(bad('/v1/stream')),
      /options must be an object/,
    ],
    [
      'provideDurableStreams({}, withCrossTabSharing(true), withCrossTabSharing(false))',
      () => provideDurableStreams({}, withCrossTabSharing(true), withCrossTabSharing(false)),
      /once/,
    ],
    ["provideDurableStreams({}, 'withFetch')", () => provideDurableStreams({}, bad('withFetch')), /feature/],
    ["withCrossTabSharing('yes')", () => withCrossTabSharing(bad('yes')), /true or false/],
    ['withFetchTransport({ fetch: 42 })', () => withFetchTransport(bad({ fetch: 42 })), /fetch must be a function/],
    ['httpClientTransport({})', () => httpClientTransport(bad({})), /HttpClient/],
    ["injectProducer('rooms/42', '')", () => injectProducer('rooms/42', ''), /name must be a non-empty string/],
    ["injectProducer(42, 'compose')", () => injectProducer(bad(42), 'compose'), /stream must be a path/],
    [
      "injectProducer('rooms/42', 'compose', 'db')",
      () => injectProducer('rooms/42', 'compose', bad('db')),
      /options must be an object/,
    ],
  ],
  'durable-streams-rx/angular/signals': [
    [
      "withDurableState('todos', schema)",
      () => withDurableState(bad('todos'), createStateSchema({ todos: { type: 'todo', primaryKey: 'id' } })),
      /stream must be a function/,
    ],
  ],
  'durable-streams-rx/subscriptions': [
    ["subscription({}, 'orders')", () => subscription(bad({}), 'orders'), /DurableStreamsClient/],
    ["subscription(client, '')", () => subscription(client, ''), /subscription id/],
    [
      "subscription(client, 'orders').ensure({ type: 'push' })",
      () => subscription(client, 'orders').ensure(bad({ type: 'push' })),
      /type/,
    ],
    [
      "subscription(client, 'orders').addStreams([])",
      () => subscription(client, 'orders').addStreams([]),
      /non-empty array/,
    ],
    [
      "subscription(client, 'orders').removeStream('..')",
      () => subscription(client, 'orders').removeStream('..'),
      /stream path/,
    ],
    ["subscription(client, 'orders').claim('')", () => subscription(client, 'orders').claim(''), /worker/],
    ["subscription(client, 'orders').ack({})", () => subscription(client, 'orders').ack(bad({})), /wake/],
    ["subscription(client, 'orders').release(null)", () => subscription(client, 'orders').release(bad(null)), /wake/],
    [
      "subscription(client, 'orders').process({ worker: 'w' }, 'handler')",
      () => subscription(client, 'orders').process({ worker: 'w' }, bad('handler')),
      /handler must be a function/,
    ],
    ['webhookReceiver(client, {})', () => webhookReceiver(client, bad({})), /handler must be a function/],
    ['new WebhookVerifier({})', () => new WebhookVerifier(bad({})), /jwksUrl|keys/],
  ],
  'durable-streams-rx/state': [
    ["materialize({ types: [''] })", () => materialize({ types: [''] }), /types/],
    ["createStateSchema('todos')", () => createStateSchema(bad<Record<string, never>>('todos')), /collections/],
    [
      'stateStore({ url }, schema)',
      () => stateStore(bad({ url: 'http://x/s' }), createStateSchema({ todos: { type: 'todo', primaryKey: 'id' } })),
      /stream handle/,
    ],
  ],
};

describe('a bad argument fails at the call, with an InvalidArgumentError that names it', () => {
  for (const [entry, entryCases] of Object.entries(cases)) {
    describe(entry, () => {
      it.each(entryCases)('%s', (_call, run, message) => {
        let thrown: unknown;
        try {
          run();
        } catch (error) {
          thrown = error;
        }
        expect(thrown).toBeInstanceOf(InvalidArgumentError);
        expect((thrown as Error).message).toMatch(message);
        expect(transport.calls).toBe(0);
      });
    });
  }

  it('the Angular entry throws the main entry’s InvalidArgumentError, the one users catch', () => {
    expect(() => withCrossTabSharing(bad('yes'))).toThrow(InvalidArgumentError);
    expect(HttpClient).toBeDefined();
  });
});
