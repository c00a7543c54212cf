// One-shot operations only: create, append, head, delete, close.
import {
  DurableStreamsClient,
  appendJson,
  closeStream,
  createStream,
  deleteStream,
  headStream,
} from 'durable-streams-rx';

const chat = new DurableStreamsClient({ baseUrl: '/v1/stream' }).stream('chat/42');
createStream(chat, { contentType: 'application/json' }).subscribe();
appendJson(chat, { text: 'hello' }).subscribe();
headStream(chat).subscribe((meta) => console.log(meta));
closeStream(chat).subscribe();
deleteStream(chat).subscribe();
