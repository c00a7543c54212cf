import type { IncomingMessage, ServerResponse } from 'node:http';
import { answer, type WebhookResponse } from './webhook-response.js';

/** The bounds of one delivery's request. */
export interface ListenerLimits {
  /** The largest body read, bytes. */
  readonly maxBodyBytes: number;
  /** The longest time from the request's headers to the end of its body, ms. */
  readonly bodyTimeoutMs: number;
}

/** Handles a delivery's raw body and signature header; never rejects. */
export type DeliveryHandler = (
  rawBody: Uint8Array,
  signatureHeader: string | readonly string[] | undefined,
) => Promise<WebhookResponse>;

/**
 * A `node:http` listener around `handle`: POST only (405), the body read
 * raw up to `maxBodyBytes` (413), and whole within `bodyTimeoutMs` of the
 * headers (408: a client that trickles or stalls its body, slowloris, does
 * not hold a connection longer). Over either bound the connection is
 * closed once the answer is written, and nothing more is read. The headers
 * themselves are bounded by the server (`headersTimeout`, 60 s by default
 * in node:http; `requestTimeout`, 300 s, bounds the whole request).
 */
export function webhookListener(
  handle: DeliveryHandler,
  limits: ListenerLimits,
): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    const reply = ({ status, headers, body }: WebhookResponse) => {
      if (!response.headersSent) response.writeHead(status, headers).end(body);
    };
    if (request.method !== 'POST') return reply(answer(405, { error: { code: 'METHOD_NOT_ALLOWED' } }));
    let refused = false;
    // Refused mid-body: answer, stop reading, and close the connection once the answer is out.
    const refuse = (status: number, code: string) => {
      refused = true;
      clearTimeout(deadline);
      request.removeAllListeners('data');
      request.pause();
      if (response.headersSent) return void request.socket.destroy();
      response.shouldKeepAlive = false;
      const { headers, body } = answer(status, { error: { code } });
      response.writeHead(status, headers).end(body, () => request.socket.destroy());
    };
    const deadline = setTimeout(() => refuse(408, 'BODY_TIMEOUT'), limits.bodyTimeoutMs);
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limits.maxBodyBytes) refuse(413, 'PAYLOAD_TOO_LARGE');
      else chunks.push(chunk);
    });
    request.on('error', () => (clearTimeout(deadline), response.destroy()));
    request.on('close', () => clearTimeout(deadline));
    request.on('end', () => {
      clearTimeout(deadline);
      if (refused) return;
      void handle(new Uint8Array(Buffer.concat(chunks)), request.headers['webhook-signature']).then(reply);
    });
  };
}
