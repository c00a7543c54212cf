import type { HttpRequest, HttpResponse } from '../../index.js';
import { bodyOf, headersOf } from './wire.js';

/** Resolves after the SDK has taken an answer and what it set off has run (one macrotask turn: real timers). */
export const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * One HTTP request the SDK sent, held until the test answers it, in the
 * style of Angular's `TestRequest`.
 */
export class TestRequest {
  private answered = false;

  constructor(
    /** The request as the SDK handed it to its transport: method, URL with query, lower-case headers, body. */
    readonly request: HttpRequest,
    private readonly resolve: (response: HttpResponse) => void,
    private readonly reject: (error: unknown) => void,
  ) {}

  /** The request was answered (by the test), or aborted (by the SDK). */
  get settled(): boolean {
    return this.answered || this.request.signal.aborted;
  }

  /** The SDK aborted the request: the read or append was unsubscribed, or timed out. */
  get cancelled(): boolean {
    return this.request.signal.aborted && !this.answered;
  }

  /** The body as text (appends). */
  get body(): string {
    const body = this.request.body;
    return body === undefined ? '' : typeof body === 'string' ? body : new TextDecoder().decode(body);
  }

  /** Answers with any status, headers and body. Resolves once the SDK has handled it. */
  respond(
    status: number,
    headers: Readonly<Record<string, string>> = {},
    body: string | Uint8Array = '',
  ): Promise<void> {
    this.claim();
    const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
    return new Promise<void>((done) => {
      let consumed = false;
      const onConsumed = () => {
        if (consumed) return;
        consumed = true;
        void settle().then(done);
      };
      this.resolve({ status, headers: headersOf(headers), body: bodyOf(bytes, onConsumed) });
      // A response whose body the SDK never reads (HEAD) is handled once it has had its turn.
      void settle()
        .then(() => settle())
        .then(onConsumed);
    });
  }

  /** Answers with a response whose body the caller feeds (an SSE connection). */
  respondWith(response: HttpResponse): void {
    this.claim();
    this.resolve(response);
  }

  /** Fails the request as a network failure would (the SDK retries it with backoff where that is safe). */
  fail(error: unknown = new TypeError('fetch failed (durable-streams-rx testing)')): Promise<void> {
    this.claim();
    this.reject(error);
    return settle();
  }

  protected claim(): void {
    if (this.answered) throw new Error(`${this.describe()} was already answered`);
    if (this.request.signal.aborted) throw new Error(`${this.describe()} was aborted by the SDK (unsubscribed)`);
    this.answered = true;
  }

  /** The request as one line (`POST <url>`), as the controller's messages name it. */
  describe(): string {
    return `${this.request.method} ${this.request.url}`;
  }
}

/** An append (POST) the SDK sent: what it carries, and the answer the test gives. */
export class TestAppend extends TestRequest {
  /** The appended JSON messages (`appendJson(value)` sends `[value]`): parsed from the body. */
  get json(): unknown[] {
    const parsed: unknown = JSON.parse(this.body);
    return Array.isArray(parsed) ? (parsed as unknown[]) : [parsed];
  }

  /** Answers as a server that appended it: 204 with the stream's next offset. */
  flush(nextOffset = '0000000000000001'): Promise<void> {
    return this.respond(204, { 'stream-next-offset': nextOffset });
  }

  /** Answers with an error status and any protocol headers (503 to see a retry, 413 too large...). */
  error(status: number, message = '', headers: Readonly<Record<string, string>> = {}): Promise<void> {
    return this.respond(status, { 'content-type': 'text/plain', ...headers }, message);
  }

  /** Answers as a server whose stream is closed: 409 with `Stream-Closed: true` (the append fails with `StreamClosedError`). */
  closed(finalOffset = '0000000000000001'): Promise<void> {
    return this.error(409, 'Stream is closed', { 'stream-closed': 'true', 'stream-next-offset': finalOffset });
  }
}
