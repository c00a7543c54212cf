import { errors as undiciErrors } from 'undici';
import { concatBytes } from '../../util/bytes.js';
import type { HttpBody, HttpHeaders } from '../http-transport.js';

/** What a body asks of the request it is read from. */
export interface BodySource {
  /** The reader drained what was buffered: undici may read on from the socket. */
  resume(): void;
  /** The rest is not wanted: undici aborts the request (its connection is closed, not reused). */
  abandon(reason: Error): void;
}

/** Buffered beyond this, undici is told to stop reading the socket (its body stream's default mark). */
const HIGH_WATER = 64 * 1024;
/** `dump()` reads at most this much to keep the connection; beyond it, the connection is closed (undici's default). */
const DUMP_LIMIT = 128 * 1024;
const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * A response body over undici's data events, without a Node stream per
 * response: chunks wait in an array (at most {@link HIGH_WATER} bytes,
 * then the socket is paused until the reader catches up) and are handed to
 * one reader, a waiting `next()` first. It is its own async iterator.
 * `stream()` left early, and `dump()` of a body over {@link DUMP_LIMIT},
 * abandon the request, as undici's body stream does when destroyed.
 */
export class ChunkBody implements HttpBody, AsyncIterableIterator<Uint8Array> {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private received = 0;
  private paused = false;
  private phase: 'open' | 'ended' | 'failed' = 'open';
  private error: unknown;
  private resolveNext?: (result: IteratorResult<Uint8Array>) => void;
  private rejectNext?: (error: unknown) => void;
  /** Set while `dump()` discards what arrives; resolves it at the end. */
  private dumped?: () => void;

  constructor(
    private readonly source: BodySource,
    private readonly headers: HttpHeaders,
  ) {}

  /** A chunk from undici; false asks it to pause the socket until {@link BodySource.resume}. */
  push(chunk: Buffer): boolean {
    if (this.phase !== 'open') return false;
    this.received += chunk.length;
    if (this.dumped) {
      if (this.received > DUMP_LIMIT) this.abandon();
      return true;
    }
    const resolve = this.resolveNext;
    if (resolve) {
      this.resolveNext = this.rejectNext = undefined;
      resolve({ done: false, value: chunk });
      return true;
    }
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered < HIGH_WATER) return true;
    this.paused = true;
    return false;
  }

  /** The body arrived whole: what is buffered is still read. */
  end(): void {
    if (this.phase !== 'open') return;
    this.phase = 'ended';
    this.settle();
  }

  /** The request failed (or was aborted): what is buffered is dropped, and the reader gets the error. */
  fail(error: unknown): void {
    if (this.phase !== 'open') return;
    this.phase = 'failed';
    this.error = error;
    this.drop();
    this.settle();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    const chunk = this.chunks.shift();
    if (chunk) {
      this.buffered -= chunk.length;
      if (this.paused && this.buffered < HIGH_WATER) {
        this.paused = false;
        // May push (and end) at once, into the buffer: this chunk is already taken.
        this.source.resume();
      }
      return Promise.resolve({ done: false, value: chunk });
    }
    if (this.phase === 'failed') return Promise.reject(this.error);
    if (this.phase === 'ended') return Promise.resolve(DONE);
    return new Promise((resolve, reject) => {
      this.resolveNext = resolve;
      this.rejectNext = reject;
    });
  }

  /** The reader left the loop: the rest of the body is not wanted. */
  return(): Promise<IteratorResult<Uint8Array>> {
    this.drop();
    if (this.phase === 'open') this.abandon();
    return Promise.resolve(DONE);
  }

  stream(): AsyncIterable<Uint8Array> {
    return this;
  }

  async bytes(): Promise<Uint8Array> {
    const parts = await this.all();
    // A copy of a lone chunk: it is a view of the socket's read.
    return parts.length === 1 ? new Uint8Array(parts[0]) : concatBytes(parts);
  }

  async text(): Promise<string> {
    const parts = await this.all();
    const whole = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    // A UTF-8 byte order mark is skipped, as undici's text() and fetch's do.
    const start = whole.length > 2 && whole[0] === 0xef && whole[1] === 0xbb && whole[2] === 0xbf ? 3 : 0;
    return whole.toString('utf8', start);
  }

  dump(): Promise<void> {
    this.drop();
    if (this.phase !== 'open') return Promise.resolve();
    const declared = Number(this.headers.get('content-length') ?? 0);
    if (this.received > DUMP_LIMIT || declared > DUMP_LIMIT) {
      this.abandon();
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const before = this.dumped;
      this.dumped = () => {
        before?.();
        resolve();
      };
      if (this.paused) {
        this.paused = false;
        this.source.resume();
      }
    });
  }

  private async all(): Promise<Buffer[]> {
    const parts: Buffer[] = [];
    for await (const chunk of this) parts.push(chunk as Buffer);
    return parts;
  }

  /** Gives the request up: ended for the reader, aborted for undici. */
  private abandon(): void {
    this.phase = 'ended';
    this.drop();
    this.settle();
    this.source.abandon(new undiciErrors.RequestAbortedError());
  }

  private drop(): void {
    this.chunks = [];
    this.buffered = 0;
  }

  /** Over, one way or another: a dump waiting for the end resolves, and a waiting reader gets the end or the error. */
  private settle(): void {
    const { resolveNext, rejectNext, dumped } = this;
    this.resolveNext = this.rejectNext = this.dumped = undefined;
    this.paused = false;
    dumped?.();
    if (this.phase === 'failed') rejectNext?.(this.error);
    else resolveNext?.(DONE);
  }
}
