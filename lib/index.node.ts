/**
 * The main entry as Node loads it (package.json `exports`, condition `node`):
 * the same API, with the producer's running code loaded with it. A browser
 * bundle loads that code on demand, when the first producer is made (see
 * `startLazily`); in Node no bundle is kept small, and a producer made
 * before it had loaded would hold a burst appended at once as single values
 * (about 1.7 times their bytes in memory) until it had.
 */
import { provideProducerCode } from './produce/start-lazily.js';
import * as producerCode from './produce/start-producer.js';

export * from './index.js';

provideProducerCode(producerCode);
