// Probe: the read path alone, built from internal modules (no handle, no one-shot operations,
// no producer): the client's options and runtime (its executor), the default transport, and a live JSON read
// of one stream (a JSON read never asks for the content type). What a live JSON read costs whatever the
// public API around it; the size spec holds it to a ceiling.
import { resolveClientOptions } from '#internal/http/client-options.js';
import { clientRuntime } from '#internal/http/client-runtime.js';
import { streamContext } from '#internal/http/stream-context.js';
import { newStreamHandle } from '#internal/http/stream-handle.js';
import { resolveStreamUrl } from '#internal/protocol/url.js';
import { readJson } from '#internal/read/read-stream.js';
import { defaultTransport } from '#internal/transport/default-transport.js';

const runtime = clientRuntime(resolveClientOptions({ baseUrl: '/v1/stream' }, defaultTransport));
const url = resolveStreamUrl(runtime.options.baseUrl, 'chat/42');
const stream = newStreamHandle(url, { context: streamContext(url, runtime) });
readJson(stream, { live: 'auto' }).subscribe((batch) => console.log(batch.items));
