export {
  DurableStreamError,
  isRetryable,
  type DurableStreamErrorInit,
  type ErrorHeaders,
} from './durable-stream-error.js';
export * from './http-errors.js';
export * from './client-errors.js';
export { ProtocolError } from './protocol-error.js';
export { errorFromResponse, type FailedRequest } from './error-from-response.js';
