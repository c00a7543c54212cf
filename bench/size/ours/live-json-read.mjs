// A live JSON read: the main job of a browser app.
import { DurableStreamsClient, readJson } from 'durable-streams-rx';

const chat = new DurableStreamsClient({ baseUrl: '/v1/stream' }).stream('chat/42');
readJson(chat, { live: 'auto' }).subscribe((batch) => console.log(batch.items));
