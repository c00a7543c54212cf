import type { HttpRequest } from '../../index.js';
import { PushQueue } from '../push-queue.js';
import { settle, type TestRequest } from './test-request.js';
import { encodePayload, headersOf, readHeaders, sseFrames, type EncodedPayload, type PushedData } from './wire.js';

/** Where a push leaves the read: up to date with the tail (the default), or still catching up. */
export interface PushOptions {
  /** Whether the push reaches the tail (`Stream-Up-To-Date`). Default true. */
  readonly upToDate?: boolean;
}

type Failure = { readonly status: number; readonly message: string } | { readonly error: unknown };

interface Answer {
  readonly payload?: EncodedPayload;
  readonly upToDate: boolean;
  readonly closed: boolean;
  readonly failure?: Failure;
  readonly delivered: () => void;
}

/** Mints the stream's next offset: at least `from`, moved on by `length` messages or bytes. */
export type OffsetMint = (from: string, length: number) => string;

/**
 * One read of a stream (one subscription), across all the requests it
 * makes: catch-up, long-poll and SSE. The test pushes what the server
 * would answer; a push waits for the read's next request and answers it
 * (on an open SSE connection, it is one data event and its control event).
 */
export class TestRead {
  /** Every request of this read so far. */
  readonly requests: TestRequest[] = [];
  /** The offset the read asks from next. */
  offset: string;
  private readonly answers: Answer[] = [];
  private pending: TestRequest | undefined;
  private sse: PushQueue<Uint8Array> | undefined;
  private contentType = 'application/json';
  private ended = false;

  constructor(
    /** The stream's URL. */
    readonly url: string,
    start: string,
    private readonly mint: OffsetMint,
  ) {
    this.offset = start;
  }

  /** The read unsubscribed: its last request (or open SSE connection) was aborted. */
  get cancelled(): boolean {
    return this.requests.at(-1)?.request.signal.aborted === true;
  }

  /** The kind of the read's last request. */
  get mode(): 'catch-up' | 'long-poll' | 'sse' {
    const live = new URL(this.requests.at(-1)?.request.url ?? this.url).searchParams.get('live');
    return live === 'sse' || live === 'long-poll' ? live : 'catch-up';
  }

  /** @internal Whether `request` continues this read: asked from where it stands, nothing in flight. */
  continues(request: HttpRequest): boolean {
    return (
      !this.ended &&
      !this.sse &&
      !(this.pending && !this.pending.settled) &&
      !this.cancelled &&
      new URL(request.url).searchParams.get('offset') === this.offset
    );
  }

  /** Data for the read (JSON messages as an array, text, or bytes), up to date unless `{ upToDate: false }`. Resolves once handled. */
  push(data: PushedData, options: PushOptions = {}): Promise<void> {
    return this.enqueue({ payload: encodePayload(data), upToDate: options.upToDate ?? true, closed: false });
  }

  /** Nothing new: the read is at the tail (a long-poll gets 204). */
  upToDate(): Promise<void> {
    return this.enqueue({ upToDate: true, closed: false });
  }

  /** The stream is closed (EOF), after `data` if given. */
  close(data?: PushedData): Promise<void> {
    return this.enqueue({
      ...(data === undefined ? {} : { payload: encodePayload(data) }),
      upToDate: true,
      closed: true,
    });
  }

  /** Answers the next request with an error status (404: the stream is gone; 5xx: retried with backoff). */
  error(status: number, message = ''): Promise<void> {
    return this.enqueue({ upToDate: false, closed: false, failure: { status, message } });
  }

  /** Fails the next request as the network would (retried with backoff). */
  fail(error: unknown = new TypeError('fetch failed (durable-streams-rx testing)')): Promise<void> {
    return this.enqueue({ upToDate: false, closed: false, failure: { error } });
  }

  /** @internal The backend hands over the read's next request. */
  receive(request: TestRequest): void {
    this.requests.push(request);
    this.pending = request;
    request.request.signal.addEventListener('abort', () => this.endSse(request.request.signal.reason), { once: true });
    if (this.mode === 'sse') this.openSse(request);
    this.deliver();
  }

  private enqueue(answer: Omit<Answer, 'delivered'>): Promise<void> {
    if (this.ended)
      return Promise.reject(
        new Error(`The read of ${this.url} has ended (closed, or cancelled by the SDK): nothing more can be pushed`),
      );
    if (answer.closed) this.ended = true;
    return new Promise<void>((delivered) => {
      this.answers.push({ ...answer, delivered });
      this.deliver();
    });
  }

  /** Answers the pending request, or writes to the open SSE connection, from the queue. */
  private deliver(): void {
    while (this.answers.length > 0 && (this.sse || (this.pending && !this.pending.settled))) {
      const answer = this.answers.shift();
      if (!answer) return;
      if (answer.failure) {
        this.answerFailure(answer.failure, answer.delivered);
        continue;
      }
      if (answer.payload) this.contentType = answer.payload.contentType;
      this.offset = this.mint(this.offset, answer.payload?.length ?? 0);
      if (this.sse) {
        this.sse.push(new TextEncoder().encode(sseFrames(answer.payload, this.offset, answer)));
        if (answer.closed) this.endSse();
        void settle().then(answer.delivered);
        continue;
      }
      const request = this.pending;
      if (!request) return; // the loop's condition: a pending request where there is no SSE connection
      this.pending = undefined;
      const nothing = !answer.payload && !answer.closed && this.mode === 'long-poll';
      const empty = this.contentType === 'application/json' && this.mode === 'catch-up' ? '[]' : '';
      const headers = readHeaders(this.offset, answer, this.contentType);
      void request.respond(nothing ? 204 : 200, headers, answer.payload?.bytes ?? empty).then(answer.delivered);
    }
  }

  private answerFailure(failure: Failure, delivered: () => void): void {
    const request = this.pending;
    this.pending = undefined;
    if (this.sse) {
      // An SSE connection that breaks: the read reconnects from its offset.
      this.endSse('error' in failure ? failure.error : new Error(`HTTP ${failure.status}`));
      return void settle().then(delivered);
    }
    if (!request) return; // deliver() fails a request only where there is one
    const done =
      'error' in failure
        ? request.fail(failure.error)
        : request.respond(failure.status, { 'content-type': 'text/plain' }, failure.message);
    void done.then(delivered);
  }

  private openSse(request: TestRequest): void {
    const queue = new PushQueue<Uint8Array>();
    this.sse = queue;
    this.pending = undefined;
    request.respondWith({
      status: 200,
      headers: headersOf({ 'content-type': 'text/event-stream', 'cache-control': 'no-cache' }),
      body: {
        stream: () => queue.iterate(() => this.sse === queue && (this.sse = undefined)),
        bytes: () => Promise.reject(new Error('an SSE body is read as a stream')),
        text: () => Promise.reject(new Error('an SSE body is read as a stream')),
        dump: async () => queue.end(),
      },
    });
  }

  private endSse(error?: unknown): void {
    const queue = this.sse;
    this.sse = undefined;
    if (error === undefined) queue?.end();
    else queue?.fail(error);
  }
}
