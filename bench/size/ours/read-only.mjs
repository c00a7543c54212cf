// A read-only app: every kind of read, and head.
import { DurableStreamsClient, headStream, readBytes, readJson, readText } from 'durable-streams-rx';

const chat = new DurableStreamsClient({ baseUrl: '/v1/stream' }).stream('chat/42');
headStream(chat).subscribe((meta) => console.log(meta));
readJson(chat, { live: 'auto' }).subscribe((batch) => console.log(batch.items));
readText(chat, { live: 'sse' }).subscribe((chunk) => console.log(chunk.text));
readBytes(chat, { live: false }).subscribe((chunk) => console.log(chunk));
