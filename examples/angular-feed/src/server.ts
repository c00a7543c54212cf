/**
 * The example's server: Angular renders each page (AngularNodeAppEngine),
 * static files come from the browser build. `PORT` (default 4000) and
 * `STREAMS_URL`, the Durable Streams server the app reads (default
 * http://127.0.0.1:4437), are its configuration.
 */
import {
  AngularNodeAppEngine,
  createNodeRequestHandler,
  isMainModule,
  writeResponseToNodeResponse,
} from '@angular/ssr/node';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FeedRequestContext } from './app/feed-config';

const browserDist = join(fileURLToPath(new URL('.', import.meta.url)), '../browser');
const context: FeedRequestContext = { streamsOrigin: process.env['STREAMS_URL'] ?? 'http://127.0.0.1:4437' };
const engine = new AngularNodeAppEngine();

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.ico': 'image/x-icon',
};

/** A file of the browser build, or undefined (pages are Angular's). */
async function staticFile(url: string): Promise<{ body: Buffer; type: string } | undefined> {
  const path = normalize(join(browserDist, decodeURIComponent(new URL(url, 'http://x').pathname)));
  if (
    !path.startsWith(browserDist + sep) ||
    !TYPES[extname(path)] ||
    !(await stat(path).then(
      (s) => s.isFile(),
      () => false,
    ))
  )
    return undefined;
  return { body: await readFile(path), type: TYPES[extname(path)] };
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const file = await staticFile(req.url ?? '/');
    if (file) {
      res
        .writeHead(200, { 'content-type': file.type, 'cache-control': 'public, max-age=31536000, immutable' })
        .end(file.body);
      return;
    }
    const response = await engine.handle(req, context);
    if (response) await writeResponseToNodeResponse(response, res);
    else res.writeHead(404).end();
  } catch (error) {
    console.error(error);
    if (!res.headersSent) res.writeHead(500);
    res.end();
  }
}

if (isMainModule(import.meta.url)) {
  const port = Number(process.env['PORT'] ?? 4000);
  createServer((req, res) => void handle(req, res)).listen(port, '127.0.0.1', () =>
    console.log(`feed: listening on http://127.0.0.1:${port}`),
  );
}

/** For `ng serve` and other hosts. */
export const reqHandler = createNodeRequestHandler(handle);
