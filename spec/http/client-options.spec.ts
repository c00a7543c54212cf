import { DurableStreamsClient, fetchTransport, InvalidArgumentError } from '../../lib/index';

describe('DurableStreamsClient options', () => {
  it.each([
    [{ retry: { maxRetries: -1 } }, /retry.maxRetries must be a whole number >= 0/],
    [{ retry: { initialDelayMs: 0 } }, /retry.initialDelayMs must be > 0/],
    [
      { retry: { initialDelayMs: 500, maxDelayMs: 100 } },
      /retry.maxDelayMs \(100\) must be >= retry.initialDelayMs \(500\)/,
    ],
    [{ retry: { multiplier: 0.9 } }, /retry.multiplier must be >= 1/],
    [{ timeoutMs: 0 }, /timeoutMs must be a positive number/],
    [{ baseUrl: 'localhost:4437' }, /baseUrl must be an absolute http\(s\) URL/],
    [{ headers: { authorization: 42 } }, /headers\['authorization'\] must be a string or a function/],
    [{ transport: {} }, /transport must implement HttpTransport/],
    [{ shareAcrossTabs: 'no' }, /shareAcrossTabs must be true or false/],
    [
      { liveRequestBudget: 0 },
      /liveRequestBudget must be 'auto', a whole number of requests \(1 or more\) or Infinity/,
    ],
    [{ liveRequestBudget: 2.5 }, /liveRequestBudget must be/],
    [{ catchUps: true }, /catchUps must be made by sharedCatchUps\(\), got true/],
  ])('rejects %p at construction with a clear error', (options, message) => {
    expect(() => new DurableStreamsClient(options as never)).toThrow(InvalidArgumentError);
    expect(() => new DurableStreamsClient(options as never)).toThrow(message);
  });

  it('creates stream handles without I/O and resolves paths against baseUrl', () => {
    const transport = { request: jest.fn() };
    const client = new DurableStreamsClient({ baseUrl: 'http://h:1/v1/stream/', transport });
    expect(client.stream('/a/b').url).toBe('http://h:1/v1/stream/a/b');
    expect(client.stream('https://other/x').url).toBe('https://other/x');
    expect(transport.request).not.toHaveBeenCalled();
  });

  it('resolves a path baseUrl against the page origin in a browser, and refuses it elsewhere', () => {
    const transport = fetchTransport();
    expect(() => new DurableStreamsClient({ baseUrl: '/v1/stream', transport })).toThrow(
      /a path works only in a browser page/,
    );
    const global = globalThis as { location?: { origin: string } };
    global.location = { origin: 'https://app.example.com' };
    try {
      expect(new DurableStreamsClient({ baseUrl: '/v1/stream', transport }).stream('chat').url).toBe(
        'https://app.example.com/v1/stream/chat',
      );
      expect(() => new DurableStreamsClient({ baseUrl: 'v1/stream', transport })).toThrow(
        /absolute http\(s\) URL or a path starting with '\/'/,
      );
    } finally {
      delete global.location;
    }
  });

  it('refuses an empty path, and a relative one without baseUrl', () => {
    const client = new DurableStreamsClient({ transport: fetchTransport() });
    expect(() => client.stream('')).toThrow(/non-empty path/);
    expect(() => client.stream('a')).toThrow(/has no baseUrl/);
  });
});
