import { defer, of, switchMap, throwError, timer } from 'rxjs';
import {
  BadRequestError,
  NetworkError,
  PayloadTooLargeError,
  SequenceGapError,
  StaleEpochError,
  StreamClosedError,
} from '../../../lib/errors';
import type { BatchRequest, BatchResponse, BatchSender } from '../../../lib/produce/send-batch';
import type { RetryConfig } from '../../../lib/retry/retry-config';

export const STREAM_URL = 'http://fake/stream';

/** A short, fixed backoff for producers in virtual time: 2, 4, 8, 8… ms. */
export const FAST_RETRY: Partial<RetryConfig> = Object.freeze({ initialDelayMs: 2, maxDelayMs: 8, jitter: false });

/** One request as the fake server saw it. */
export interface Arrival {
  readonly at: number;
  readonly epoch: number;
  readonly seq: number;
  readonly count: number;
  readonly outcome: 'accepted' | 'duplicate' | 'stale' | 'gap' | 'bad' | 'closed' | 'dropped' | 'too-large';
}

/** How the network treats one attempt. Delays are in (virtual) milliseconds. */
export interface Network {
  /** Time until the request reaches the server. */
  arrival(request: BatchRequest, attempt: number): number;
  /** Time until the response reaches the producer. */
  response(request: BatchRequest, attempt: number): number;
  /** The request is lost before the server sees it. */
  drop?(request: BatchRequest, attempt: number): boolean;
  /** The server applies the request but its response is lost. */
  lose?(request: BatchRequest, attempt: number): boolean;
}

export const instant: Network = { arrival: () => 0, response: () => 0 };

/**
 * The reference server's producer logic (PROTOCOL.md 5.2.1) in memory, on a
 * JSON stream, for producer specs in virtual time: validation, dedup,
 * fencing and closure exactly as the protocol states them.
 */
export class FakeServer {
  readonly messages: unknown[] = [];
  readonly arrivals: Arrival[] = [];
  state: { epoch: number; lastSeq: number } | undefined;
  closed = false;
  closedBy: { epoch: number; seq: number } | undefined;
  /** Request bodies over this many bytes are refused with 413 before the server sees them (a proxy's limit). */
  bodyLimit = Infinity;
  private offset = 0;

  constructor(private readonly now: () => number = () => 0) {}

  /** Another producer with the same id takes over at `epoch`. */
  fence(epoch: number): void {
    this.state = { epoch, lastSeq: 0 };
  }

  /** Applies one request; returns the response or throws the error the server's answer maps to. */
  apply(request: BatchRequest): BatchResponse {
    if ((request.body?.byteLength ?? 0) > this.bodyLimit) {
      this.arrivals.push({ at: this.now(), epoch: request.epoch, seq: request.seq, count: -1, outcome: 'too-large' });
      throw new PayloadTooLargeError({ url: STREAM_URL, status: 413 });
    }
    const items = request.body === undefined ? [] : (JSON.parse(new TextDecoder().decode(request.body)) as unknown[]);
    const count = items.length;
    const log = (outcome: Arrival['outcome']) =>
      this.arrivals.push({ at: this.now(), epoch: request.epoch, seq: request.seq, count, outcome });
    if (this.closed) {
      if (this.closedBy?.epoch === request.epoch && this.closedBy.seq === request.seq) {
        log('duplicate');
        return { nextOffset: String(this.offset), duplicate: request.body !== undefined };
      }
      log('closed');
      throw new StreamClosedError({ url: STREAM_URL, status: 409, finalOffset: String(this.offset) });
    }
    const state = this.state;
    if (!state) {
      if (request.seq !== 0) {
        log('gap');
        throw new SequenceGapError({ url: STREAM_URL, status: 409, expectedSeq: 0, receivedSeq: request.seq });
      }
    } else if (request.epoch < state.epoch) {
      log('stale');
      throw new StaleEpochError({ url: STREAM_URL, status: 403, currentEpoch: state.epoch, sentEpoch: request.epoch });
    } else if (request.epoch > state.epoch) {
      if (request.seq !== 0) {
        log('bad');
        throw new BadRequestError({ url: STREAM_URL, status: 400, detail: 'New epoch must start with sequence 0' });
      }
    } else if (request.seq <= state.lastSeq) {
      log('duplicate');
      return { nextOffset: undefined, duplicate: request.body !== undefined };
    } else if (request.seq > state.lastSeq + 1) {
      log('gap');
      throw new SequenceGapError({
        url: STREAM_URL,
        status: 409,
        expectedSeq: state.lastSeq + 1,
        receivedSeq: request.seq,
      });
    }
    this.state = { epoch: request.epoch, lastSeq: request.seq };
    this.messages.push(...items);
    this.offset += items.length;
    if (request.close) {
      this.closed = true;
      this.closedBy = { epoch: request.epoch, seq: request.seq };
    }
    log('accepted');
    return { nextOffset: String(this.offset), duplicate: false };
  }

  /** A sender through `network`: one attempt per call, as the HTTP sender (the producer retries). */
  sender(network: Network = instant): BatchSender {
    const attempts = new Map<string, number>();
    return (request) =>
      defer(() => {
        const key = `${request.epoch}/${request.seq}`;
        const attempt = (attempts.get(key) ?? 0) + 1;
        attempts.set(key, attempt);
        return timer(network.arrival(request, attempt)).pipe(
          switchMap(() => {
            if (network.drop?.(request, attempt)) {
              this.arrivals.push({
                at: this.now(),
                epoch: request.epoch,
                seq: request.seq,
                count: -1,
                outcome: 'dropped',
              });
              return throwError(
                () =>
                  new NetworkError({
                    url: STREAM_URL,
                    cause: new Error('connection reset before the request was read'),
                  }),
              );
            }
            let outcome: { response: BatchResponse } | { error: unknown };
            try {
              outcome = { response: this.apply(request) };
            } catch (error) {
              outcome = { error };
            }
            const lost = network.lose?.(request, attempt) ?? false;
            return timer(network.response(request, attempt)).pipe(
              switchMap(() => {
                if (lost)
                  return throwError(
                    () =>
                      new NetworkError({
                        url: STREAM_URL,
                        cause: new Error('connection reset after the server answered'),
                      }),
                  );
                return 'response' in outcome ? of(outcome.response) : throwError(() => outcome.error);
              }),
            );
          }),
        );
      });
  }
}

/** A small seeded PRNG (mulberry32), so random schedules are reproducible. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
