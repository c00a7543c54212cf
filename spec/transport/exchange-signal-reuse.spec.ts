import { firstValueFrom } from 'rxjs';
import { exchange, type OutgoingRequest } from '../../lib/transport/exchange';
import { releasesSignals } from '../../lib/transport/released-signals';
import type { HttpRequest, HttpResponse, HttpTransport } from '../../lib/transport/http-transport';

/** A transport that answers at once with a one-chunk body, or holds the request when `hold` is set, and keeps every signal it saw. */
class AnsweringTransport implements HttpTransport {
  readonly signals: AbortSignal[] = [];
  hold = false;
  request(request: HttpRequest): Promise<HttpResponse> {
    this.signals.push(request.signal);
    if (this.hold) return new Promise(() => undefined);
    const body = async function* (): AsyncGenerator<Uint8Array> {
      yield new TextEncoder().encode('[]');
    };
    return Promise.resolve({
      status: 200,
      headers: { get: () => null, entries: () => [] },
      body: { stream: body, bytes: async () => new Uint8Array(), text: async () => '[]', dump: async () => undefined },
    });
  }
}

const longPoll: OutgoingRequest = {
  method: 'GET',
  url: 'http://origin/s?live=long-poll',
  headers: {},
  longLived: true,
};
const read = (transport: HttpTransport, request = longPoll, consume = (r: HttpResponse) => r.body.text()) =>
  exchange(transport, request, consume);

/**
 * A long-lived request answered in full gives its AbortController to the next one, when its
 * transport lets go of signals (undiciTransport()): never a controller that was aborted, nor one a
 * custom transport may still listen to; a request on a reused controller still aborts on unsubscribe.
 */
describe('exchange: a long-lived request reuses the controller of one answered in full', () => {
  it('the next long-lived request on a transport that releases signals gets the same signal, and unsubscribing aborts it', async () => {
    const transport = releasesSignals(new AnsweringTransport());
    await firstValueFrom(read(transport));
    transport.hold = true;
    const held = read(transport).subscribe();
    const [first, second] = transport.signals;
    expect(second).toBe(first);
    expect(second?.aborted).toBe(false);
    held.unsubscribe();
    expect(second?.aborted).toBe(true);
  });

  it('an aborted controller is never given out again', async () => {
    const transport = releasesSignals(new AnsweringTransport());
    transport.hold = true;
    read(transport).subscribe().unsubscribe();
    transport.hold = false;
    await firstValueFrom(read(transport));
    await firstValueFrom(read(transport));
    const [aborted, next, after] = transport.signals;
    expect(aborted?.aborted).toBe(true);
    expect(next).not.toBe(aborted);
    expect(next?.aborted).toBe(false);
    expect(after).toBe(next);
  });

  it('a request that failed does not give its controller on', async () => {
    const transport = releasesSignals(new AnsweringTransport());
    await expect(
      firstValueFrom(
        read(transport, longPoll, () => {
          throw new Error('bad body');
        }),
      ),
    ).rejects.toThrow();
    await firstValueFrom(read(transport));
    const [failed, next] = transport.signals;
    expect(next).not.toBe(failed);
  });

  it('a custom transport, or a request that is not long-lived, gets a new controller every time', async () => {
    const custom = new AnsweringTransport();
    await firstValueFrom(read(custom));
    await firstValueFrom(read(custom));
    expect(custom.signals[1]).not.toBe(custom.signals[0]);
    const releasing = releasesSignals(new AnsweringTransport());
    const catchUp: OutgoingRequest = { method: 'GET', url: 'http://origin/s?offset=-1', headers: {} };
    await firstValueFrom(read(releasing, catchUp));
    await firstValueFrom(read(releasing, catchUp));
    expect(releasing.signals[1]).not.toBe(releasing.signals[0]);
    // Nor did they leave their controllers for a long-lived request of a transport that releases signals.
    await firstValueFrom(read(releasing));
    expect([...custom.signals, ...releasing.signals.slice(0, 2)]).not.toContain(releasing.signals[2]);
  });
});
