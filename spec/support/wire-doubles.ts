import nock from 'nock';
import { MockAgent } from 'undici';
import { fetchTransport, type HttpTransport } from '../../lib/index';
import { undiciTransport } from '../../lib/transport/undici/undici-transport';

/** A request as it crossed the wire. */
export interface Captured {
  readonly method: string;
  /** Path and query, exactly as sent. */
  readonly path: string;
  /** Lower-case names. */
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** One scripted response, for the next request with `method`. */
export interface Reply {
  readonly method: string;
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

/**
 * Scripted HTTP for exact wire shapes, behind either transport: nock under
 * `fetch`, undici's MockAgent under `undici` (nock cannot see undici's
 * sockets). Each reply answers one request, in order; `captured` records
 * what was sent.
 */
export interface WireDouble {
  readonly transport: HttpTransport;
  readonly captured: Captured[];
  script(...replies: Reply[]): void;
  /** Fails if a scripted reply was not used. */
  assertDone(): void;
  close(): Promise<void>;
}

export const ORIGIN = 'http://wire.test';

export const wireDoubles: ReadonlyArray<readonly [string, () => WireDouble]> = [
  ['fetch + nock', nockDouble],
  ['undici + MockAgent', mockAgentDouble],
];

function lowerHeaders(headers: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
  return out;
}

function nockDouble(): WireDouble {
  nock.disableNetConnect();
  const captured: Captured[] = [];
  const scopes: nock.Scope[] = [];
  return {
    transport: fetchTransport(),
    captured,
    script(...replies) {
      for (const reply of replies) {
        scopes.push(
          nock(ORIGIN)
            .intercept(() => true, reply.method)
            .reply(function (path, body) {
              captured.push({
                method: reply.method,
                path,
                headers: lowerHeaders(this.req.headers),
                body: typeof body === 'string' ? body : body === undefined ? '' : JSON.stringify(body),
              });
              return [reply.status, reply.body ?? '', reply.headers ?? {}];
            }),
        );
      }
    },
    assertDone() {
      for (const scope of scopes) scope.done();
    },
    async close() {
      nock.cleanAll();
      nock.enableNetConnect();
    },
  };
}

function mockAgentDouble(): WireDouble {
  const agent = new MockAgent({ connections: 1 });
  agent.disableNetConnect();
  const captured: Captured[] = [];
  return {
    transport: undiciTransport({ dispatcher: agent }),
    captured,
    script(...replies) {
      for (const reply of replies) {
        agent
          .get(ORIGIN)
          .intercept({ path: () => true, method: reply.method })
          .reply((options) => {
            const body = options.body;
            captured.push({
              method: options.method,
              path: options.path,
              headers: lowerHeaders((options.headers ?? {}) as Record<string, unknown>),
              body:
                body === undefined || body === null
                  ? ''
                  : typeof body === 'string'
                    ? body
                    : Buffer.from(body as Uint8Array).toString(),
            });
            return {
              statusCode: reply.status,
              data: reply.body ?? '',
              responseOptions: { headers: reply.headers ?? {} },
            };
          });
      }
    },
    assertDone() {
      agent.assertNoPendingInterceptors();
    },
    close: () => agent.close(),
  };
}
