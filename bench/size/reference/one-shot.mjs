// One-shot operations only with @durable-streams/client: create, append, head, delete, close.
import { DurableStream } from '@durable-streams/client';

const chat = new DurableStream({ url: '/v1/stream/chat/42', contentType: 'application/json' });
chat.create().then(() => chat.append(JSON.stringify({ text: 'hello' })));
chat.head().then((meta) => console.log(meta));
chat.close();
chat.delete();
