import { firstValueFrom, type Observable } from 'rxjs';
import { DurableStreamsClient, InvalidArgumentError } from '../../lib/index';
import { subscription } from '../../lib/subscriptions';
import { MAX_NAME_LENGTH, nameProblem } from '../../lib/subscriptions/subscription-names';
import type { HttpRequest, HttpResponse, HttpTransport } from '../../lib/transport/http-transport';
import { memoryResponse } from '../support/memory-response';

/** Records every request and answers 204: a spec asserting that nothing was sent looks at `requests`. */
class RecordingTransport implements HttpTransport {
  readonly requests: HttpRequest[] = [];
  request(request: HttpRequest): Promise<HttpResponse> {
    this.requests.push(request);
    return Promise.resolve(memoryResponse(204, {}, ''));
  }
}

/** What a call throws at once: names are checked at the call (issue #22 item 6), before any subscribe. */
const errorOf = (call: () => Observable<unknown>): unknown => {
  try {
    call();
  } catch (error) {
    return error;
  }
  return 'no error at the call';
};

describe('subscription ids, stream paths, patterns and worker names', () => {
  it.each([
    ['subscription id', 'sub-1'],
    ['subscription id', 'a/b c'],
    ['subscription id', 'über-€-😀'],
    ['subscription id', 'x'.repeat(MAX_NAME_LENGTH)],
    ['stream path', 'events/abc'],
    ['stream path', '/events/abc/'],
    ['stream path', 'a..b/.c/d.'],
    ['pattern', 'events/**'],
    ['worker name', 'mailer host-1 4242'],
    ['worker name', '..'],
  ] as const)('accepts the %s %j', (kind, value) => {
    expect(nameProblem(kind, value)).toBeUndefined();
  });

  it.each([
    ['subscription id', '', /must not be empty/],
    ['subscription id', '.', /'.' or '..' segment/],
    ['subscription id', '..', /'.' or '..' segment/],
    ['subscription id', 'a/../b', /'.' or '..' segment/],
    ['subscription id', '%2e%2E', /'.' or '..' segment/],
    ['subscription id', 'sub\u0000', /control character/],
    ['subscription id', 'sub\r\nx', /control character/],
    ['subscription id', 'sub\u0085', /control character/],
    ['subscription id', 'a\u2028b', /control character/],
    ['subscription id', ' ', /blank/],
    ['subscription id', ' sub', /leading or trailing whitespace/],
    ['subscription id', 'sub\ud800', /lone UTF-16 surrogate/],
    ['subscription id', 'x'.repeat(100_000), /100000 characters long, over the limit of 1024/],
    ['stream path', '..', /'.' or '..' segment/],
    ['stream path', 'events/./a', /'.' or '..' segment/],
    ['stream path', 'a\\..\\b', /backslash/],
    ['stream path', 'a%2f..', /encoded path separator/],
    ['stream path', 'http://elsewhere.test/x', /is a URL/],
    ['pattern', '../*', /'.' or '..' segment/],
    ['worker name', '', /must not be empty/],
    ['worker name', 'w\u0000', /control character/],
    ['worker name', 'w'.repeat(MAX_NAME_LENGTH + 1), /over the limit/],
  ] as const)('refuses the %s %j', (kind, value, problem) => {
    expect(nameProblem(kind, value)).toMatch(problem);
  });

  it('refuses what is not a string', () => {
    expect(nameProblem('subscription id', 42)).toBe('must be a string, got number');
    expect(nameProblem('stream path', null)).toBe('must be a string, got null');
  });

  it('why: a URL parser collapses dot segments onto other resources', () => {
    // What subscription(client, '..') and removeStream('..') sent before they were refused.
    expect(new URL('http://h.test/v1/stream/__ds/subscriptions/..').pathname).toBe('/v1/stream/__ds/');
    expect(new URL('http://h.test/v1/stream/__ds/subscriptions/victim/streams/..').pathname).toBe(
      '/v1/stream/__ds/subscriptions/victim/',
    );
  });
});

describe('the subscription handle checks names before anything is sent', () => {
  let transport: RecordingTransport;
  let client: DurableStreamsClient;
  beforeEach(() => {
    transport = new RecordingTransport();
    client = new DurableStreamsClient({ baseUrl: 'http://h.test/v1/stream', transport });
  });
  afterEach(() => expect(transport.requests).toEqual([]));

  it.each(['.', '..', 'a/..', 'sub\u0000', ' ', 'x'.repeat(100_000)])(
    'subscription(client, %j) throws at the call',
    (id) => {
      expect(() => subscription(client, id)).toThrow(InvalidArgumentError);
      expect(() => subscription(client, id)).toThrow(
        /subscription\(client, id\): the subscription id .*nothing was sent/,
      );
    },
  );

  it('removeStream and addStreams refuse dot segments, control characters and overlong paths', async () => {
    const victim = subscription(client, 'victim');
    for (const bad of ['..', '.', 'a/../..', 'a\u0000', 'p'.repeat(MAX_NAME_LENGTH + 1)]) {
      const removal = errorOf(() => victim.removeStream(bad));
      expect(removal).toBeInstanceOf(InvalidArgumentError);
      expect(removal).toMatchObject({
        message: expect.stringMatching(/^removeStream\(\) on subscription 'victim': the stream path/),
      });
      expect(errorOf(() => victim.addStreams(['ok', bad]))).toBeInstanceOf(InvalidArgumentError);
    }
    expect(errorOf(() => victim.addStreams([]))).toBeInstanceOf(InvalidArgumentError);
  });

  it('ensure refuses a configuration whose wake stream or streams would leave the stream root', async () => {
    const handle = subscription(client, 'sub-1');
    const escape = errorOf(() => handle.ensure({ type: 'pull-wake', pattern: 'a/*', wakeStream: '../../admin' }));
    expect(escape).toBeInstanceOf(InvalidArgumentError);
    expect(escape).toMatchObject({ message: expect.stringContaining('"../../admin"') });
    expect(
      errorOf(() => handle.ensure({ type: 'webhook', streams: ['a', '..'], webhook: { url: 'https://h' } })),
    ).toBeInstanceOf(InvalidArgumentError);
  });

  it('claim and process refuse a worker name with a control character, and process a wake stream outside the root', async () => {
    const handle = subscription(client, 'sub-1');
    expect(errorOf(() => handle.claim('w\u0000'))).toBeInstanceOf(InvalidArgumentError);
    expect(errorOf(() => handle.process({ worker: ' ' }, () => []))).toBeInstanceOf(InvalidArgumentError);
    expect(errorOf(() => handle.process({ worker: 'w', wakeStream: '..' }, () => []))).toBeInstanceOf(
      InvalidArgumentError,
    );
  });

  it('a valid id of the longest length is sent, encoded as one segment', async () => {
    const id = `a/b c ${'x'.repeat(MAX_NAME_LENGTH - 6)}`;
    await firstValueFrom(subscription(client, id).delete(), { defaultValue: undefined });
    expect(transport.requests.map((request) => request.url)).toEqual([
      `http://h.test/v1/stream/__ds/subscriptions/${encodeURIComponent(id)}`,
    ]);
    transport.requests.length = 0;
  });
});
