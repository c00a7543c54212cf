import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import type { HttpRequest, HttpResponse, HttpTransport } from '../../../lib/transport/http-transport';
import { memoryResponse as response } from '../../support/memory-response';

/** An Ed25519 signing key as a Durable Streams server holds one, with its public JWK. */
export interface SigningKey {
  readonly kid: string;
  readonly jwk: { kty: 'OKP'; crv: 'Ed25519'; x: string; kid: string; use: 'sig'; alg: 'EdDSA' };
  readonly privateKey: KeyObject;
}

export function signingKey(): SigningKey {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const { x } = publicKey.export({ format: 'jwk' }) as { x: string };
  const kid = `ds_${createHash('sha256').update(x).digest('base64url')}`;
  return { kid, jwk: { kty: 'OKP', crv: 'Ed25519', x, kid, use: 'sig', alg: 'EdDSA' }, privateKey };
}

/** The Webhook-Signature header for `body` at `seconds`. */
export function signatureHeader(key: SigningKey, body: string | Uint8Array, seconds: number): string {
  const payload = Buffer.concat([Buffer.from(`${seconds}.`), Buffer.from(body)]);
  return `t=${seconds},kid=${key.kid},ed25519=${sign(null, payload, key.privateKey).toString('base64url')}`;
}

/** A transport serving a JWKS whose keys and Cache-Control the spec changes at will; records every request. */
export class JwksServer implements HttpTransport {
  keys: SigningKey[] = [];
  cacheControl: string | undefined = 'public, max-age=300';
  status = 200;
  readonly requests: HttpRequest[] = [];
  /** Resolves pending fetches when set: lets a spec hold a fetch open. */
  gate: Promise<void> | undefined;

  async request(request: HttpRequest): Promise<HttpResponse> {
    this.requests.push(request);
    if (this.gate) await this.gate;
    const headers: Record<string, string> = { 'content-type': 'application/jwk-set+json' };
    if (this.cacheControl !== undefined) headers['cache-control'] = this.cacheControl;
    return response(
      this.status,
      headers,
      this.status === 200 ? JSON.stringify({ keys: this.keys.map((key) => key.jwk) }) : 'unavailable',
    );
  }
}
