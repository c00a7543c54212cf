import { first, firstValueFrom, lastValueFrom } from 'rxjs';
import { watchBody } from '../../examples/interceptors/recipes';
import {
  appendJson,
  collectItems,
  createStream,
  deleteStream,
  headStream,
  idempotentProducer,
  items,
  readJson,
  type HttpRequest,
  type HttpTransport,
  type TransportInterceptor,
} from '../../lib/index';
import { subscription } from '../../lib/subscriptions';

import { realClient, transports, uniquePath } from '../support/real-server';
import { until } from '../support/until';

/**
 * One client's interceptors see every request it makes against the
 * reference server: one-shot operations, catch-up and live reads, the
 * producer's batches and subscriptions, with the hints the transport needs,
 * and every body they see is read or discarded in the end (none left holding
 * a connection).
 */
describe.each(transports)('interceptors on every request of a client (%s)', (_name, makeTransport) => {
  let transport: HttpTransport & { close?: () => Promise<void> };
  beforeAll(() => {
    transport = makeTransport();
  });
  afterAll(() => transport.close?.());

  it('reads, one-shots, producer batches and subscriptions all pass through, lane and longLived on', async () => {
    const seen: HttpRequest[] = [];
    let openBodies = 0;
    const watching: TransportInterceptor = async (request, next) => {
      seen.push(request);
      openBodies += 1;
      return watchBody(request, await next(request), () => (openBodies -= 1));
    };
    const client = realClient(transport, { interceptors: [watching] });
    const path = uniquePath('all');
    const stream = client.stream(path);
    const kinds = () =>
      seen.map((request) => `${request.method}${request.lane ? ' lane' : ''}${request.longLived ? ' live' : ''}`);

    await firstValueFrom(createStream(stream, { contentType: 'application/json' }));
    await firstValueFrom(appendJson(stream, { n: 1 }));
    await firstValueFrom(headStream(stream));
    expect(kinds()).toEqual(['PUT', 'POST', 'HEAD']);

    seen.length = 0;
    const producer = idempotentProducer<{ n: number }>(stream, 'p', { lingerMs: 0 });
    producer.append({ n: 2 });
    await firstValueFrom(producer.finish());
    expect(kinds()).toEqual(['POST lane']);

    seen.length = 0;
    expect(await lastValueFrom(readJson(stream, { live: false }).pipe(collectItems()))).toEqual([{ n: 1 }, { n: 2 }]);
    let n = 2;
    for (const live of ['long-poll', 'sse'] as const) {
      // The value appended once the live request is out arrives on it.
      n += 1;
      const tail = firstValueFrom(
        readJson<{ n: number }>(stream, { live }).pipe(
          items(),
          first((item) => item.n === n),
        ),
      );
      await until(
        () => seen.some((request) => request.longLived && request.url.includes(`live=${live}`)),
        `a ${live} request`,
        5_000,
      );
      await firstValueFrom(appendJson(stream, { n }));
      expect(await tail).toEqual({ n });
    }
    expect(kinds()).toEqual(expect.arrayContaining(['GET', 'GET live']));
    expect(
      seen.filter((request) => request.longLived).map((request) => new URL(request.url).searchParams.get('live')),
    ).toEqual(expect.arrayContaining(['long-poll', 'sse']));

    seen.length = 0;
    await firstValueFrom(
      subscription(client, uniquePath('sub')).ensure({
        type: 'pull-wake',
        streams: [path],
        wakeStream: uniquePath('wake'),
      }),
    );
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((request) => request.url.includes('/v1/stream'))).toBe(true);

    await firstValueFrom(deleteStream(stream));
    await until(() => openBodies === 0, `every body read or discarded (${openBodies} open)`, 5_000);
  });
});
