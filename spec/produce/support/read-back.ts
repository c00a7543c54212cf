/**
 * Reads a whole stream with plain GETs (?offset=… until Stream-Up-To-Date),
 * independent of the SDK's read path, so producer specs check what the
 * server stored and nothing else.
 */
export async function readAll(
  url: string,
): Promise<{ body: Uint8Array[]; contentType: string | null; closed: boolean }> {
  const body: Uint8Array[] = [];
  let offset = '-1';
  for (let round = 0; round < 100_000; round++) {
    const response = await fetch(`${url}?offset=${encodeURIComponent(offset)}`);
    if (response.status !== 200) throw new Error(`GET ${url} answered ${response.status}: ${await response.text()}`);
    body.push(new Uint8Array(await response.arrayBuffer()));
    offset = response.headers.get('stream-next-offset') ?? offset;
    if (response.headers.get('stream-up-to-date') === 'true') {
      return {
        body,
        contentType: response.headers.get('content-type'),
        closed: response.headers.get('stream-closed') === 'true',
      };
    }
  }
  throw new Error('readAll: too many rounds');
}

/** Every message of a JSON stream, in order. */
export async function readJsonMessages(url: string): Promise<unknown[]> {
  const { body } = await readAll(url);
  const decoder = new TextDecoder();
  return body.flatMap((chunk) => JSON.parse(decoder.decode(chunk)) as unknown[]);
}

/** A byte or text stream's content as text. */
export async function readText(url: string): Promise<string> {
  const { body } = await readAll(url);
  const decoder = new TextDecoder();
  return body.map((chunk) => decoder.decode(chunk)).join('');
}

/** Creates a stream with a plain PUT. */
export async function createStream(url: string, contentType = 'application/json'): Promise<void> {
  const response = await fetch(url, { method: 'PUT', headers: { 'content-type': contentType } });
  if (response.status !== 201 && response.status !== 200) throw new Error(`PUT ${url} answered ${response.status}`);
}

/** Whether the stream is closed, by HEAD. */
export async function isClosed(url: string): Promise<boolean> {
  const response = await fetch(url, { method: 'HEAD' });
  return response.headers.get('stream-closed') === 'true';
}
