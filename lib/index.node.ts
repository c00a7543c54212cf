/**
 * The Node entry point (export condition `node`): everything in `index`,
 * plus the undici transport, registered as the default.
 */
import { registerDefaultTransport } from './transport/default-transport.js';
import { undiciTransport } from './transport/undici/undici-transport.js';

export * from './index.js';
export { undiciTransport, type UndiciTransport, type UndiciTransportOptions } from './transport/undici/undici-transport.js';

registerDefaultTransport(() => undiciTransport());
