import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from './genesys-http';

/**
 * The fake's OAuth side: the client-credentials grant at `POST /oauth/token` (HTTP Basic client
 * credentials compared in constant time), bearer-token checks on every API call (401 for
 * unknown, revoked or expired tokens) and the per-token request budget (429 with `Retry-After`).
 */

export interface Token {
  value: string;
  expiresAt: number;
  revoked: boolean;
  requests: number[];
}

export interface LoginOptions {
  clientId: string;
  clientSecret: string;
  tokenTtlS: number;
  rateLimitPerMinute: number;
}

export class FakeLogin {
  readonly tokens = new Map<string, Token>();
  tokensIssued = 0;

  constructor(private readonly o: LoginOptions) {}

  /** `POST /oauth/token`. */
  login(req: IncomingMessage, body: string, res: ServerResponse): void {
    const expected = Buffer.from(
      `Basic ${Buffer.from(`${this.o.clientId}:${this.o.clientSecret}`).toString('base64')}`,
    );
    const got = Buffer.from(req.headers.authorization ?? '');
    if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
      return sendJson(res, 401, { error: 'invalid_client', description: 'bad credentials' });
    }
    if (!/^application\/x-www-form-urlencoded/.test(req.headers['content-type'] ?? '')) {
      return sendJson(res, 400, { error: 'invalid_request' });
    }
    if (new URLSearchParams(body).get('grant_type') !== 'client_credentials') {
      return sendJson(res, 400, { error: 'unsupported_grant_type' });
    }
    const value = randomBytes(24).toString('base64url');
    this.tokens.set(value, {
      value,
      expiresAt: Date.now() + this.o.tokenTtlS * 1000,
      revoked: false,
      requests: [],
    });
    this.tokensIssued += 1;
    sendJson(res, 200, { access_token: value, token_type: 'bearer', expires_in: this.o.tokenTtlS });
  }

  /** Revokes every issued token. */
  revokeAll(): void {
    for (const t of this.tokens.values()) t.revoked = true;
  }

  /** The request's live token, or undefined after answering 401. */
  authorize(req: IncomingMessage, res: ServerResponse): Token | undefined {
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    const t = m ? this.tokens.get(m[1] ?? '') : undefined;
    if (!t || t.revoked || Date.now() >= t.expiresAt) {
      sendJson(res, 401, {
        message: 'Invalid login credentials.',
        code: 'bad.credentials',
        status: 401,
      });
      return undefined;
    }
    return t;
  }

  /** Counts the request against the token's budget; true after answering 429. */
  rateLimited(t: Token, res: ServerResponse): boolean {
    const now = Date.now();
    t.requests = t.requests.filter((x) => now - x < 60_000);
    t.requests.push(now);
    if (t.requests.length <= this.o.rateLimitPerMinute) return false;
    res.setHeader('Retry-After', '1');
    res.setHeader('inin-ratelimit-allowed', String(this.o.rateLimitPerMinute));
    res.setHeader('inin-ratelimit-count', String(t.requests.length));
    res.setHeader('inin-ratelimit-reset', '1');
    sendJson(res, 429, { message: 'Rate limit exceeded', status: 429 });
    return true;
  }
}
