// A producer app: create the stream, write exactly once, close the producer.
import { DurableStreamsClient, createStream, idempotentProducer } from 'durable-streams-rx';

const chat = new DurableStreamsClient({ baseUrl: '/v1/stream' }).stream('chat/42');
createStream(chat, { contentType: 'application/json' }).subscribe(() => {
  const producer = idempotentProducer(chat, 'writer-1');
  producer.append({ text: 'hello' });
  producer.finish().subscribe();
});
