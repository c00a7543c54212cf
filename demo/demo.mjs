// npm run demo: the round trip on the embedded reference server.
// Starts @durable-streams/server on a free loopback port, creates a JSON stream,
// tails it live, appends a few messages, prints each one's round trip, closes
// the stream (EOF ends the tail) and exits.
import { DurableStreamTestServer } from '@durable-streams/server';
import { DurableStreamsClient, appendJson, closeStream, createStream, readJson } from 'durable-streams-rx';
import { undiciTransport } from 'durable-streams-rx/undici';
import { concatMap, firstValueFrom, from, lastValueFrom, tap, timer, toArray } from 'rxjs';

const MESSAGES = 5;
const server = new DurableStreamTestServer({ port: 0, host: '127.0.0.1' });
const url = await server.start();
console.log(`reference server: ${url}`);

// A Node service: undici's keep-alive pools (the default transport, fetch, works too).
const transport = undiciTransport();
try {
  const client = new DurableStreamsClient({ baseUrl: `${url}/v1/stream`, transport });
  const chat = client.stream(`demo/chat-${Date.now().toString(36)}`);

  const created = await firstValueFrom(createStream(chat, { contentType: 'application/json' }));
  console.log(`created ${chat.url} (${created.contentType})`);

  // The live tail: catch up, then follow over SSE (or long-poll); completes at EOF.
  const tail = lastValueFrom(
    readJson(chat, { live: 'auto' }).pipe(
      tap((batch) => {
        for (const message of batch.items) {
          console.log(
            `  read   #${message.n} "${message.text}"  round trip ${(performance.now() - message.sentAt).toFixed(1)} ms`,
          );
        }
        if (batch.closed) console.log(`  EOF at offset ${batch.offset}`);
      }),
      concatMap((batch) => batch.items),
      toArray(),
    ),
  );

  await firstValueFrom(timer(100)); // let the tail connect first: it is live, not catch-up
  await lastValueFrom(
    from(Array.from({ length: MESSAGES }, (_, i) => i + 1)).pipe(
      concatMap((n) => appendJson(chat, { n, text: `hello ${n}`, sentAt: performance.now() })),
      tap(({ nextOffset }) => console.log(`  append -> ${nextOffset}`)),
      concatMap(() => timer(50)),
    ),
  );
  const { finalOffset } = await firstValueFrom(closeStream(chat));
  console.log(`  closed at ${finalOffset}`);

  const received = await tail;
  const ok = received.length === MESSAGES && received.every((m, i) => m.n === i + 1);
  console.log(
    ok
      ? `round trip ok: ${received.length} appended, ${received.length} read live, in order`
      : `round trip FAILED: read ${JSON.stringify(received)}`,
  );
  process.exitCode = ok ? 0 : 1;
} finally {
  await transport.close();
  await server.stop();
}
