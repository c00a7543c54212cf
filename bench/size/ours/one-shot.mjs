// One-shot operations only: create, append, head, delete, close.
import { DurableStreamsClient } from 'durable-streams-rx';

const chat = new DurableStreamsClient({ baseUrl: '/v1/stream' }).stream('chat/42');
chat.create({ contentType: 'application/json' }).subscribe();
chat.appendJson({ text: 'hello' }).subscribe();
chat.head().subscribe((meta) => console.log(meta));
chat.close().subscribe();
chat.delete().subscribe();
