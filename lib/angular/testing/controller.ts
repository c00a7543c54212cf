import type { DurableStream, HttpRequest, HttpResponse, HttpTransport } from '../../index.js';
import { TestAppend, TestRequest } from './test-request.js';
import { TestRead } from './test-read.js';
import { formatOffset, isOnStream, nameOf } from './wire.js';

/** Which stream: its handle (its URL, exactly), its path as the app names it (`'chat/42'`), or its URL. */
export type StreamMatch = DurableStream | string;

interface Seen<T> {
  readonly item: T;
  expected: boolean;
}

/**
 * The testing backend and its controller, in the style of Angular's
 * `HttpTestingController`: the SDK's requests reach it through an
 * `HttpTransport` (no network), the test expects reads and appends on
 * streams, answers them in the protocol's wire shapes, and `verify()`s
 * that nothing is left outstanding. Provided by `provideDurableStreamsTesting()`.
 */
export class DurableStreamsTestingController {
  /** The transport the client uses. */
  readonly transport: HttpTransport = { request: (request) => this.receive(request) };
  private readonly reads: Seen<TestRead>[] = [];
  private readonly others: Seen<TestRequest>[] = [];
  private readonly tails = new Map<string, number>();

  /** The one read on `stream` not expected yet (cancelled ones included); throws unless there is exactly one. */
  expectRead(stream: StreamMatch): TestRead {
    return this.one(this.reads, (read) => isOnStream(read.url, stream), `read of '${nameOf(stream)}'`).item;
  }

  /** Every read on `stream` not expected yet, now expected. */
  matchReads(stream: StreamMatch): TestRead[] {
    return this.take(this.reads, (read) => isOnStream(read.url, stream)).map((seen) => seen.item);
  }

  /** The one append (POST) on `stream` not expected yet; throws unless there is exactly one. */
  expectAppend(stream: StreamMatch): TestAppend {
    const { item } = this.one(
      this.others,
      (request) => request instanceof TestAppend && isOnStream(request.request.url, stream),
      `append to '${nameOf(stream)}'`,
    );
    if (!(item instanceof TestAppend)) throw new Error(`Expected an append to '${nameOf(stream)}'`); // as the test above made sure
    return item;
  }

  /** The one request with `method` on `stream` not expected yet (HEAD, PUT, DELETE...); throws unless there is exactly one. */
  expectRequest(method: HttpRequest['method'], stream: StreamMatch): TestRequest {
    return this.one(
      this.others,
      (request) => request.request.method === method && isOnStream(request.request.url, stream),
      `${method} on '${nameOf(stream)}'`,
    ).item;
  }

  /** Throws if a read or append on `stream` came that was not expected. */
  expectNone(stream: StreamMatch): void {
    const found = [
      ...this.reads
        .filter((seen) => !seen.expected && isOnStream(seen.item.url, stream))
        .map((seen) => `read of ${seen.item.url}`),
      ...this.others
        .filter((seen) => !seen.expected && isOnStream(seen.item.request.url, stream))
        .map((seen) => seen.item.describe()),
    ];
    if (found.length > 0) throw new Error(`Expected nothing on '${nameOf(stream)}', found: ${found.join('; ')}`);
  }

  /**
   * Throws if a read or request came that no `expect...()` took, or an
   * expected request (append...) was never answered. Open reads that were
   * expected are fine: live reads stay open until their resource goes.
   */
  verify(): void {
    const problems = [
      ...this.reads.filter((seen) => !seen.expected).map((seen) => `unexpected read of ${seen.item.url}`),
      ...this.others.filter((seen) => !seen.expected).map((seen) => `unexpected ${seen.item.describe()}`),
      ...this.others
        .filter((seen) => seen.expected && !seen.item.settled)
        .map((seen) => `unanswered ${seen.item.describe()}`),
    ];
    if (problems.length > 0)
      throw new Error(
        `DurableStreamsTestingController.verify(): ${problems.length} outstanding:\n  ${problems.join('\n  ')}`,
      );
  }

  private receive(request: HttpRequest): Promise<HttpResponse> {
    return new Promise<HttpResponse>((resolve, reject) => {
      const test =
        request.method === 'POST'
          ? new TestAppend(request, resolve, reject)
          : new TestRequest(request, resolve, reject);
      request.signal.addEventListener('abort', () => test.settled || reject(request.signal.reason), { once: true });
      if (request.method !== 'GET') return void this.others.push({ item: test, expected: false });
      const url = request.url.split('?')[0];
      const read = [...this.reads]
        .reverse()
        .find((seen) => seen.item.url === url && seen.item.continues(request))?.item;
      if (read) return read.receive(test);
      const fresh = new TestRead(url, new URL(request.url).searchParams.get('offset') ?? '-1', (from, length) =>
        this.mint(url, from, length),
      );
      this.reads.push({ item: fresh, expected: false });
      fresh.receive(test);
    });
  }

  /** The stream's next offset: past `from` (when it is one of ours) and past every offset minted before, by `length`. */
  private mint(url: string, from: string, length: number): string {
    const at = /^\d+$/.test(from) ? Number(from) : 0;
    const tail = Math.max(this.tails.get(url) ?? 0, at) + length;
    this.tails.set(url, tail);
    return formatOffset(tail);
  }

  private one<T>(list: Seen<T>[], test: (item: T) => boolean, what: string): Seen<T> {
    const found = list.filter((seen) => !seen.expected && test(seen.item));
    if (found.length !== 1) {
      throw new Error(
        `Expected one ${what}, found ${found.length}${list.length ? `; seen: ${list.map((seen) => describe(seen.item)).join(', ')}` : ''}`,
      );
    }
    found[0].expected = true;
    return found[0];
  }

  private take<T>(list: Seen<T>[], test: (item: T) => boolean): Seen<T>[] {
    const found = list.filter((seen) => !seen.expected && test(seen.item));
    for (const seen of found) seen.expected = true;
    return found;
  }
}

function describe(item: unknown): string {
  return item instanceof TestRead ? `read of ${item.url}` : (item as TestRequest).describe();
}
