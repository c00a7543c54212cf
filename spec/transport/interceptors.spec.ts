import { firstValueFrom } from 'rxjs';
import {
  append,
  DurableStreamsClient,
  headStream,
  idempotentProducer,
  InvalidArgumentError,
  NetworkError,
  TimeoutError,
  UnauthorizedError,
  type HttpRequest,
  type HttpResponse,
  type HttpTransport,
  type TransportInterceptor,
} from '../../lib/index';
import { clientRuntimeOf } from '../../lib/client/durable-streams-client';
import { memoryResponse } from '../support/memory-response';

/**
 * Interceptors at the transport seam, against an in-memory transport that
 * records what reaches it and answers as each test says: order,
 * short-circuit, error mapping and retry safety, what passes through.
 */

type Answer = (request: HttpRequest) => HttpResponse | Promise<HttpResponse>;

const response = memoryResponse;

const appended = () => response(204, { 'stream-next-offset': '0_1' });

function memoryTransport(answer: Answer = appended) {
  const requests: HttpRequest[] = [];
  const transport: HttpTransport = {
    request: async (request) => {
      requests.push(request);
      return answer(request);
    },
  };
  return { transport, requests };
}

const fast = { initialDelayMs: 1, maxDelayMs: 2 };
const clientWith = (transport: HttpTransport, interceptors: readonly TransportInterceptor[], options = {}) =>
  new DurableStreamsClient({ baseUrl: 'http://ds.test/v1/stream', transport, retry: fast, interceptors, ...options });
const textStream = (client: DurableStreamsClient) => client.stream('s', { contentType: 'text/plain' });

describe('transport interceptors', () => {
  it('run in order, the first listed outermost: it sees the request first and the response last', async () => {
    const { transport, requests } = memoryTransport();
    const calls: string[] = [];
    const tagging =
      (name: string): TransportInterceptor =>
      async (request, next) => {
        calls.push(`${name} >`);
        const answer = await next({
          ...request,
          headers: { ...request.headers, 'x-path': `${request.headers['x-path'] ?? ''}${name}` },
        });
        calls.push(`< ${name} ${answer.status}`);
        return answer;
      };
    await firstValueFrom(append(textStream(clientWith(transport, [tagging('a'), tagging('b')])), 'x'));

    expect(calls).toEqual(['a >', 'b >', '< b 204', '< a 204']);
    expect(requests).toHaveLength(1);
    expect(requests[0].headers['x-path']).toBe('ab');
  });

  it('may answer without calling next: the transport is never called', async () => {
    const { transport, requests } = memoryTransport();
    const cached: TransportInterceptor = async (request, next) =>
      request.method === 'HEAD'
        ? response(200, { 'content-type': 'application/json', 'stream-next-offset': '7_7' })
        : next(request);
    const metadata = await firstValueFrom(headStream(clientWith(transport, [cached]).stream('s')));

    expect(metadata).toMatchObject({ contentType: 'application/json', nextOffset: '7_7' });
    expect(requests).toHaveLength(0);
  });

  it('passes a typed error it throws to the caller as it is, with its own retry decision', async () => {
    const { transport, requests } = memoryTransport();
    const refused = new UnauthorizedError({ url: 'http://ds.test/v1/stream/s', status: 401 });
    let calls = 0;
    const auth: TransportInterceptor = async () => {
      calls += 1;
      throw refused;
    };
    const error = await firstValueFrom(append(textStream(clientWith(transport, [auth])), 'x')).catch((e: unknown) => e);

    expect(error).toBe(refused);
    expect(calls).toBe(1); // a 401 is not retried
    expect(requests).toHaveLength(0);
  });

  it('maps anything else thrown before next to a NetworkError that was not sent: even a plain append is repeated', async () => {
    const { transport, requests } = memoryTransport();
    let failures = 1;
    const flaky: TransportInterceptor = async (request, next) => {
      if (failures-- > 0) throw new Error('token service unreachable');
      return next(request);
    };
    const result = await firstValueFrom(
      append(textStream(clientWith(transport, [flaky], { retry: { ...fast, maxRetries: 0 } })), 'x', {
        retry: { maxRetries: 1 },
      }),
    );
    expect(result).toMatchObject({ nextOffset: '0_1' });
    expect(requests).toHaveLength(1);

    // The error itself, unretried.
    failures = 1;
    const lone = clientWith(transport, [flaky], { retry: { ...fast, maxRetries: 0 } });
    const error = (await firstValueFrom(append(textStream(lone), 'x')).catch((e: unknown) => e)) as NetworkError;
    expect(error).toBeInstanceOf(NetworkError);
    expect(error.notSent).toBe(true);
    expect(error.cause).toEqual(new Error('token service unreachable'));
    expect(error.message).toMatch(/An interceptor failed: not sent/);
  });

  it('maps a synchronous throw like a rejection', async () => {
    const { transport, requests } = memoryTransport();
    const broken = ((request: HttpRequest) => {
      throw new TypeError(`cannot sign ${request.method}`);
    }) as unknown as TransportInterceptor;
    const error = (await firstValueFrom(
      append(textStream(clientWith(transport, [broken], { retry: { maxRetries: 0 } })), 'x'),
    ).catch((e: unknown) => e)) as NetworkError;

    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ notSent: true, cause: new TypeError('cannot sign POST') });
    expect(requests).toHaveLength(0);
  });

  it('maps a throw after next like a transport failure of a sent request: a plain append is not repeated', async () => {
    const { transport, requests } = memoryTransport();
    const afterwards: TransportInterceptor = async (request, next) => {
      await next(request);
      throw new Error('logger crashed');
    };
    const error = (await firstValueFrom(append(textStream(clientWith(transport, [afterwards])), 'x')).catch(
      (e: unknown) => e,
    )) as NetworkError;

    expect(error).toBeInstanceOf(NetworkError);
    expect(error.notSent).toBe(false);
    expect(error.attempts).toBe(1);
    expect(requests).toHaveLength(1); // sent once, never twice
  });

  it('sees each attempt with dynamic headers evaluated for that attempt', async () => {
    let attempt = 0;
    const { transport } = memoryTransport(() => (attempt < 2 ? response(503) : appended()));
    const seen: string[] = [];
    const watch: TransportInterceptor = (request, next) => {
      seen.push(request.headers['authorization']);
      return next(request);
    };
    const client = clientWith(transport, [watch], { headers: { authorization: () => `Bearer ${++attempt}` } });
    await firstValueFrom(append(textStream(client), 'x'));

    expect(seen).toEqual(['Bearer 1', 'Bearer 2']);
  });

  it('leaves a producer batch on its lane when an interceptor replaces the request by spreading it', async () => {
    const { transport, requests } = memoryTransport((request) =>
      request.method === 'HEAD'
        ? response(200, { 'content-type': 'text/plain', 'stream-next-offset': '0_0' })
        : response(200, { 'stream-next-offset': '0_1', 'producer-epoch': '0', 'producer-seq': '0' }),
    );
    const seen: HttpRequest[] = [];
    const spreading: TransportInterceptor = (request, next) => {
      seen.push(request);
      return next({ ...request, headers: { ...request.headers, 'x-traced': '1' } });
    };
    const producer = idempotentProducer<string>(textStream(clientWith(transport, [spreading])), 'p1', { lingerMs: 0 });
    producer.append('a');
    await firstValueFrom(producer.finish());

    const batch = requests.find((request) => request.method === 'POST')!;
    expect(seen.find((request) => request.method === 'POST')!.lane).toBeDefined();
    expect(batch).toMatchObject({
      lane: seen.find((r) => r.method === 'POST')!.lane,
      headers: expect.objectContaining({ 'x-traced': '1' }),
    });
  });

  it('hands the transport the SDK signal: unsubscribing aborts the request even when an interceptor passed its own signal', () => {
    const { transport, requests } = memoryTransport(() => new Promise<HttpResponse>(() => undefined));
    const own = new AbortController();
    const swapping: TransportInterceptor = (request, next) => next({ ...request, signal: own.signal });
    const subscription = append(textStream(clientWith(transport, [swapping])), 'x').subscribe({
      error: () => undefined,
    });

    expect(requests).toHaveLength(1);
    expect(requests[0].signal.aborted).toBe(false);
    subscription.unsubscribe();
    expect(requests[0].signal.aborted).toBe(true);
    expect(own.signal.aborted).toBe(false);
  });

  it('keeps the SDK told when the request was sent, even when an interceptor drops onSent: a timed-out plain append is not repeated', async () => {
    const requests: HttpRequest[] = [];
    const transport: HttpTransport = {
      reportsSent: true,
      request: (request) => {
        requests.push(request);
        request.onSent?.();
        return new Promise<HttpResponse>((_, reject) =>
          request.signal.addEventListener('abort', () => reject(new Error('aborted'))),
        );
      },
    };
    const rebuilding: TransportInterceptor = (request, next) =>
      next({
        method: request.method,
        url: request.url,
        headers: request.headers,
        signal: request.signal,
        ...(request.body === undefined ? {} : { body: request.body }),
      });
    const error = await firstValueFrom(
      append(textStream(clientWith(transport, [rebuilding], { timeoutMs: 30 })), 'x'),
    ).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ phase: 'headers', attempts: 1 });
    expect(requests).toHaveLength(1);
  });

  it('leaves the request as it is when the interceptor passes it on unchanged', () => {
    const { transport, requests } = memoryTransport(() => new Promise<HttpResponse>(() => undefined));
    const seen: HttpRequest[] = [];
    const passing: TransportInterceptor = (request, next) => (seen.push(request), next(request));
    const subscription = append(textStream(clientWith(transport, [passing])), 'x').subscribe();

    expect(requests[0]).toBe(seen[0]);
    subscription.unsubscribe();
  });

  it('are refused at construction unless an array of functions', () => {
    const { transport } = memoryTransport();
    expect(() => clientWith(transport, [42 as unknown as TransportInterceptor])).toThrow(InvalidArgumentError);
    expect(() => clientWith(transport, [42 as unknown as TransportInterceptor])).toThrow(
      /^interceptors must be an array of functions/,
    );
    const passing: TransportInterceptor = (request, next) => next(request);
    expect(() => clientWith(transport, [passing, 'log' as unknown as TransportInterceptor])).toThrow(
      /^interceptors must be an array of functions/,
    );
  });

  it('cost nothing when none are given: the client uses the transport itself', () => {
    const { transport } = memoryTransport();
    expect(clientRuntimeOf(new DurableStreamsClient({ transport }))!.options.transport).toBe(transport);
    expect(clientRuntimeOf(clientWith(transport, []))!.options.transport).toBe(transport);
  });

  it('keep what the transport says about reporting sent requests', () => {
    const { transport } = memoryTransport();
    const passing: TransportInterceptor = (request, next) => next(request);
    expect(
      clientRuntimeOf(clientWith({ ...transport, reportsSent: true }, [passing]))!.options.transport.reportsSent,
    ).toBe(true);
    expect(clientRuntimeOf(clientWith(transport, [passing]))!.options.transport.reportsSent).toBeFalsy();
  });
});
