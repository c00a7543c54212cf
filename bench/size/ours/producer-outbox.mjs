// A producer app whose values survive the page: the same producer, with an IndexedDB outbox.
import { DurableStreamsClient, createStream, idempotentProducer, indexedDbOutbox } from 'durable-streams-rx';

const chat = new DurableStreamsClient({ baseUrl: '/v1/stream' }).stream('chat/42');
createStream(chat, { contentType: 'application/json' }).subscribe(() => {
  const producer = idempotentProducer(chat, 'writer-1', { outbox: indexedDbOutbox('compose') });
  producer.append({ text: 'hello' });
  producer.finish().subscribe();
});
