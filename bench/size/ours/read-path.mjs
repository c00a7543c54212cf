// Probe: the read path alone, built from internal modules (no handle, no one-shot operations,
// no producer): the client's options, its executor and default transport, and a live JSON read
// of one stream whose content type is learned with a HEAD, as the handle does. What a live JSON
// read costs whatever the public API around it; the size spec holds it to a ceiling.
import { resolveClientOptions } from '#internal/http/client-options.js';
import { RequestExecutor } from '#internal/http/request-executor.js';
import { streamContext } from '#internal/http/stream-context.js';
import { newStreamHandle } from '#internal/http/stream-handle.js';
import { metadataFromHeaders } from '#internal/operations/stream-metadata.js';
import { resolveStreamUrl } from '#internal/protocol/url.js';
import { readJson } from '#internal/read/read-stream.js';
import { defaultTransport } from '#internal/transport/default-transport.js';

const http = new RequestExecutor(resolveClientOptions({ baseUrl: '/v1/stream' }, defaultTransport));
const url = resolveStreamUrl(http.options.baseUrl, 'chat/42');
const learnContentType = (options = {}) =>
  http.call(
    { method: 'HEAD', url, userHeaders: options.headers, userParams: options.params },
    (response) => [metadataFromHeaders(response.headers).contentType ?? 'application/octet-stream'],
    'idempotent',
  );

const stream = newStreamHandle(url, {
  context: streamContext(url, http, learnContentType),
  knownContentType: undefined,
});
readJson(stream, { live: 'auto' }).subscribe((batch) => console.log(batch.items));
