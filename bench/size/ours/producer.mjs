// A producer app: create the stream, write exactly once, close the producer.
import { DurableStreamsClient } from 'durable-streams-rx';

const chat = new DurableStreamsClient({ baseUrl: '/v1/stream' }).stream('chat/42');
chat.create({ contentType: 'application/json' }).subscribe(() => {
  const producer = chat.producer('writer-1');
  producer.append({ text: 'hello' });
  producer.close().subscribe();
});
