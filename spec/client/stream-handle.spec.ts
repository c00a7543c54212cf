import {
  append,
  appendJson,
  closeStream,
  consume,
  createStream,
  deleteStream,
  DurableStreamsClient,
  forkStream,
  headStream,
  idempotentProducer,
  InvalidArgumentError,
  readBytes,
  readJson,
  readText,
  streamExists,
  type DurableStream,
  type HttpTransport,
} from '../../lib/index';

/** A transport that records what it is asked and never answers: no operation here may reach it. */
function silentTransport(): HttpTransport & { calls: number } {
  const transport = {
    calls: 0,
    request: () => {
      transport.calls++;
      return new Promise<never>(() => undefined);
    },
  };
  return transport;
}

describe('the stream handle', () => {
  const transport = silentTransport();
  const client = new DurableStreamsClient({ baseUrl: 'http://streams.test/v1/stream', transport });

  it('is a frozen plain value with its URL and nothing else: no methods, no executor, no class', () => {
    const stream = client.stream('chat/42');
    expect(stream).toEqual({ url: 'http://streams.test/v1/stream/chat/42' });
    expect(Reflect.ownKeys(stream)).toEqual(['url']);
    expect(Object.isFrozen(stream)).toBe(true);
    expect(Object.getPrototypeOf(stream)).toBe(Object.prototype);
  });

  it('two handles on one URL are independent values', () => {
    expect(client.stream('a')).not.toBe(client.stream('a'));
    expect(client.stream('a')).toEqual(client.stream('a'));
  });

  describe('an object that only looks like a handle is refused with a clear InvalidArgumentError, before any I/O', () => {
    const fake = { url: 'http://streams.test/v1/stream/chat/42' } as DurableStream;
    const operations: Array<[string, () => unknown]> = [
      ['createStream', () => createStream(fake)],
      ['append', () => append(fake, 'x')],
      ['appendJson', () => appendJson(fake, 1)],
      ['headStream', () => headStream(fake)],
      ['streamExists', () => streamExists(fake)],
      ['deleteStream', () => deleteStream(fake)],
      ['closeStream', () => closeStream(fake)],
      ['forkStream', () => forkStream(fake, 'copy')],
      ['readBytes', () => readBytes(fake)],
      ['readText', () => readText(fake)],
      ['readJson', () => readJson(fake)],
      ['idempotentProducer', () => idempotentProducer(fake, 'p1')],
      [
        'consume',
        () => consume(fake, () => undefined, { storage: { getItem: () => null, setItem: () => undefined }, key: 'k' }),
      ],
    ];
    it.each(operations)('%s', (_name, call) => {
      expect(call).toThrow(InvalidArgumentError);
      expect(call).toThrow('not a stream handle: make one with client.stream(path)');
      expect(transport.calls).toBe(0);
    });
  });
});
