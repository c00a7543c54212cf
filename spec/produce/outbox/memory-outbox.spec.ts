import { memoryOutbox } from '../../../lib/produce/outbox/memory-outbox';
import { describeProducerOutbox } from '../../support/producer-outbox-conformance';

describeProducerOutbox('memoryOutbox()', () => ({ outbox: memoryOutbox() }));
