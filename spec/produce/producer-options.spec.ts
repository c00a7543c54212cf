import { InvalidArgumentError } from '../../lib/errors';
import { IdempotentProducer } from '../../lib/produce/idempotent-producer';
import {
  DEFAULT_PRODUCER_OPTIONS,
  resolveProducerOptions,
  type ProducerOptions,
} from '../../lib/produce/producer-options';
import { offlineContext } from '../support/offline-context';

const url = 'http://x/s';

describe('producer options', () => {
  it('fills the documented defaults', () => {
    const resolved = resolveProducerOptions('p', {}, url);
    expect(resolved).toMatchObject({
      producerId: 'p',
      epoch: 0,
      autoClaim: false,
      lingerMs: 5,
      maxBatchBytes: 1024 * 1024,
      maxBatchItems: 1000,
      maxInFlight: 5,
      deliveryTimeoutMs: 120_000,
      maxBufferedMessages: 100_000,
      maxBufferedBytes: 64 * 1024 * 1024,
      contentType: undefined,
    });
    expect(DEFAULT_PRODUCER_OPTIONS.maxInFlight).toBe(5);
    expect(resolveProducerOptions('p', { deliveryTimeoutMs: Infinity }, url).deliveryTimeoutMs).toBe(Infinity);
  });

  it.each<[string, string, ProducerOptions, RegExp]>([
    ['empty id', '', {}, /non-empty producer id/],
    ['id with a line break', 'a\nb', {}, /visible ASCII/],
    ['id with a leading space', ' a', {}, /visible ASCII/],
    ['negative epoch', 'p', { epoch: -1 }, /epoch must be a whole number >= 0, got -1/],
    ['fractional epoch', 'p', { epoch: 1.5 }, /epoch must be a whole number/],
    ['negative linger', 'p', { lingerMs: -1 }, /lingerMs must be a number of milliseconds >= 0/],
    ['zero maxBatchBytes', 'p', { maxBatchBytes: 0 }, /maxBatchBytes must be a whole number > 0, got 0/],
    ['zero maxBatchItems', 'p', { maxBatchItems: 0 }, /maxBatchItems must be a whole number > 0/],
    ['negative maxInFlight', 'p', { maxInFlight: -2 }, /maxInFlight must be a whole number > 0, got -2/],
    ['zero maxInFlight', 'p', { maxInFlight: 0 }, /maxInFlight must be a whole number > 0/],
    ['zero maxBufferedMessages', 'p', { maxBufferedMessages: 0 }, /maxBufferedMessages must be a whole number > 0/],
    ['NaN maxBufferedBytes', 'p', { maxBufferedBytes: Number.NaN }, /maxBufferedBytes must be a whole number > 0/],
    ['blank contentType', 'p', { contentType: ' ' }, /contentType must be a non-empty string/],
    ['bad retry', 'p', { retry: { maxRetries: -1 } }, /retry.maxRetries/],
    [
      'zero deliveryTimeoutMs',
      'p',
      { deliveryTimeoutMs: 0 },
      /deliveryTimeoutMs must be a number of milliseconds > 0 \(Infinity for no limit\), got 0/,
    ],
    ['NaN deliveryTimeoutMs', 'p', { deliveryTimeoutMs: Number.NaN }, /deliveryTimeoutMs must be/],
  ])('rejects %s at construction, naming the option', (_name, id, options, message) => {
    const error = (() => {
      try {
        resolveProducerOptions(id, options, url);
      } catch (thrown) {
        return thrown;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toMatch(message);
  });

  it('validates when the producer is made, before any I/O', () => {
    const context = offlineContext(url);
    expect(() => new IdempotentProducer(context, 'p', { maxInFlight: 0 })).toThrow(InvalidArgumentError);
    expect(() => new IdempotentProducer(context, '', {})).toThrow(/non-empty producer id.*\(http:\/\/x\/s\)/);
  });
});
