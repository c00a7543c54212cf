// A producer app with @durable-streams/client: create the stream, write exactly once, stop the
// producer (detach(): flushes and stops without closing the stream, like our producer.finish()).
import { DurableStream, IdempotentProducer } from '@durable-streams/client';

DurableStream.create({ url: '/v1/stream/chat/42', contentType: 'application/json' }).then((chat) => {
  const producer = new IdempotentProducer(chat, 'writer-1');
  producer.append(JSON.stringify({ text: 'hello' }));
  return producer.detach();
});
