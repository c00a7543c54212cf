import { BadRequestError, DurableStreamError, StreamNotFoundError, UnexpectedStatusError } from '../../lib/index';
import { subscriptionErrorFromResponse } from '../../lib/subscriptions/subscription-error-from-response';
import {
  AlreadyClaimedError,
  InvalidAckError,
  InvalidSubscriptionRequestError,
  isLeaseLost,
  LeaseExpiredError,
  NoPendingWorkError,
  SubscriptionConflictError,
  SubscriptionError,
  SubscriptionNotFoundError,
  WakeFencedError,
  WakeTokenError,
  WebhookUrlRejectedError,
} from '../../lib/subscriptions/subscription-errors';

const URL_ = 'http://s.test/v1/stream/__ds/subscriptions/sub-1';
const request = (method = 'POST', path = '/claim') => ({ url: URL_ + path, method, headers: {} });
const wake = { wakeId: 'w_1', generation: 7 };
const map = (status: number, body: unknown, context: object = {}, method?: string) =>
  subscriptionErrorFromResponse(
    status,
    { 'content-type': 'application/json' },
    typeof body === 'string' ? body : JSON.stringify(body),
    request(method),
    {
      subscriptionId: 'sub-1',
      ...context,
    },
  );

describe('subscription errors from the JSON error.code', () => {
  // Bodies as the reference server sends them.
  it.each([
    [
      404,
      { error: { code: 'SUBSCRIPTION_NOT_FOUND', message: 'Subscription not found' } },
      SubscriptionNotFoundError,
      'SUBSCRIPTION_NOT_FOUND',
    ],
    [
      409,
      {
        error: {
          code: 'SUBSCRIPTION_ALREADY_EXISTS',
          message: 'Subscription already exists with different configuration',
        },
      },
      SubscriptionConflictError,
      'SUBSCRIPTION_ALREADY_EXISTS',
    ],
    [
      400,
      { error: { code: 'WEBHOOK_URL_REJECTED', message: 'webhook.url must not target private or link-local hosts' } },
      WebhookUrlRejectedError,
      'WEBHOOK_URL_REJECTED',
    ],
    [
      400,
      { error: { code: 'INVALID_REQUEST', message: 'pull-wake subscriptions require wake_stream' } },
      InvalidSubscriptionRequestError,
      'INVALID_REQUEST',
    ],
    [
      409,
      { error: { code: 'ALREADY_CLAIMED', current_holder: 'worker-2', generation: 7 } },
      AlreadyClaimedError,
      'ALREADY_CLAIMED',
    ],
    [
      409,
      { error: { code: 'NO_PENDING_WORK', message: 'Subscription has no pending work' } },
      NoPendingWorkError,
      'NO_PENDING_WORK',
    ],
    [409, { error: { code: 'FENCED', message: 'Wake generation is stale' } }, WakeFencedError, 'FENCED'],
    [401, { error: { code: 'TOKEN_INVALID', message: 'Token invalid' } }, WakeTokenError, 'TOKEN_INVALID'],
    [401, { error: { code: 'TOKEN_EXPIRED', message: 'Token expired' } }, WakeTokenError, 'TOKEN_EXPIRED'],
    [
      409,
      { error: { code: 'INVALID_OFFSET', message: 'Ack offset is beyond stream tail' } },
      InvalidAckError,
      'INVALID_OFFSET',
    ],
  ])('%i %j is a %p', (status, body, type, code) => {
    const error = map(status, body, { wake });
    expect(error).toBeInstanceOf(type);
    expect(error).toBeInstanceOf(SubscriptionError);
    expect(error).toBeInstanceOf(DurableStreamError);
    expect(error).toMatchObject({ code, status, url: URL_ + '/claim', subscriptionId: 'sub-1' });
    expect(error.message).toContain("'sub-1'");
    expect(error.isRetryable).toBe(false);
  });

  it('tells the 409s apart by code, not status', () => {
    const kinds = ['ALREADY_CLAIMED', 'NO_PENDING_WORK', 'FENCED', 'INVALID_OFFSET', 'SUBSCRIPTION_ALREADY_EXISTS'].map(
      (code) => map(409, { error: { code } }).constructor.name,
    );
    expect(new Set(kinds).size).toBe(5);
  });

  it('carries the holder and generation of ALREADY_CLAIMED', () => {
    const error = map(409, {
      error: { code: 'ALREADY_CLAIMED', current_holder: 'worker-2', generation: 7 },
    }) as AlreadyClaimedError;
    expect(error).toMatchObject({ currentHolder: 'worker-2', generation: 7 });
    expect(error.message).toBe(
      `Subscription 'sub-1' is already claimed by worker 'worker-2' (generation 7) (409) (${URL_}/claim). ` +
        'Another worker is processing the pending work; claim again on the next wake event',
    );
  });

  it('names the wake of a fenced ack and says what to do', () => {
    const error = map(
      409,
      { error: { code: 'FENCED', message: 'Wake generation is stale' } },
      { wake },
    ) as WakeFencedError;
    expect(error).toMatchObject({ wakeId: 'w_1', generation: 7, detail: 'Wake generation is stale' });
    expect(error.message).toMatch(
      /^The wake w_1 \(generation 7\) of subscription 'sub-1' is no longer current \(409\).*Server said: Wake generation is stale\. .*stop working on it/,
    );
  });

  it('names the refused webhook URL', () => {
    const error = map(
      400,
      { error: { code: 'WEBHOOK_URL_REJECTED', message: 'no' } },
      { webhookUrl: 'https://10.0.0.1/h' },
    );
    expect(error.message).toMatch(
      /webhook URL 'https:\/\/10.0.0.1\/h' of subscription 'sub-1'.*https URL on a public host/,
    );
  });

  it('falls back to the status mapping when the body has no error code', () => {
    expect(map(404, 'Stream not found')).toBeInstanceOf(StreamNotFoundError);
    expect(map(400, { error: 'bad' })).toBeInstanceOf(BadRequestError);
    expect(map(405, 'Method not allowed')).toBeInstanceOf(UnexpectedStatusError);
    expect(map(503, '<html>')).toMatchObject({ code: 'SERVER_ERROR', isRetryable: true });
  });

  it('tells which errors mean the lease is gone', () => {
    const init = { url: URL_, subscriptionId: 'sub-1' };
    expect(isLeaseLost(new WakeFencedError(init))).toBe(true);
    expect(isLeaseLost(new WakeTokenError({ ...init, expired: true }))).toBe(true);
    expect(isLeaseLost(new SubscriptionNotFoundError(init))).toBe(true);
    expect(isLeaseLost(new LeaseExpiredError({ ...init, wakeId: 'w', generation: 1, leaseTtlMs: 1000 }))).toBe(true);
    expect(isLeaseLost(new InvalidAckError(init))).toBe(false);
    expect(isLeaseLost(new AlreadyClaimedError(init))).toBe(false);
  });
});
