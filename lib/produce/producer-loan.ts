import { isRetryable } from '../errors/durable-stream-error.js';
import { errorFromResponse } from '../errors/error-from-response.js';
import { PayloadTooLargeError, SequenceGapError, StaleEpochError, StreamClosedError } from '../errors/http-errors.js';
import { notProtocolAnswer } from '../errors/protocol-error.js';
import { learnContentType } from '../operations/head-stream.js';
import { framingOf } from '../protocol/content-type.js';
import { Header, WriteHeader } from '../protocol/headers.js';
import { missingProtocolHeaders } from '../protocol/protocol-answer.js';
import { resolveRetryConfig } from '../retry/retry-config.js';
import { retryWithBackoff } from '../retry/retry-with-backoff.js';
import { emptyAppend, refuseTooLarge } from './admitted-values.js';
import { batchValues, utf8End } from './batch-values.js';
import { dataBytes, entryData, utf8Length, valueData } from './encode.js';
import { DeliveryOverdueError, OutboxError, OutboxLockedError } from './outbox/outbox-errors.js';
import { isBefore } from './outbox/producer-outbox.js';
import { DeliveryTimeoutError, ValueTooLargeError } from './producer-errors.js';

/**
 * What the producer's running code (a lazy chunk, see `startLazily`) is lent of the initial code instead of
 * importing it: a module both imported would go to a chunk of its own that the initial code of every app importing
 * the main entry loads too (bundlers split by module), in two files, with the producer's errors in read-only apps
 * (the size spec checks it). The running code imports only modules of its own, and types.
 */
export const PRODUCER_LOAN = {
  isRetryable,
  PayloadTooLargeError,
  SequenceGapError,
  StaleEpochError,
  StreamClosedError,
  learnContentType,
  framingOf,
  resolveRetryConfig,
  retryWithBackoff,
  batchValues,
  utf8End,
  dataBytes,
  emptyAppend,
  entryData,
  refuseTooLarge,
  utf8Length,
  valueData,
  DeliveryOverdueError,
  OutboxError,
  OutboxLockedError,
  isBefore,
  DeliveryTimeoutError,
  ValueTooLargeError,
  Header,
  WriteHeader,
  errorFromResponse,
  missingProtocolHeaders,
  notProtocolAnswer,
};

/** See {@link PRODUCER_LOAN}. */
export type ProducerLoan = typeof PRODUCER_LOAN;
