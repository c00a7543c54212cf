// A read-only app: every kind of read, and head.
import { DurableStreamsClient } from 'durable-streams-rx';

const chat = new DurableStreamsClient({ baseUrl: '/v1/stream' }).stream('chat/42');
chat.head().subscribe((meta) => console.log(meta));
chat.readJson({ live: 'auto' }).subscribe((batch) => console.log(batch.items));
chat.readText({ live: 'sse' }).subscribe((chunk) => console.log(chunk.text));
chat.read({ live: false }).subscribe((chunk) => console.log(chunk));
