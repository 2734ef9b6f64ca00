// Dashboard authentication: an access token (from an environment variable) exchanged on the login
// page for an HMAC-signed session cookie, or sent directly as `Authorization: Bearer <token>` by
// scripts and Prometheus. Tokens and signatures are compared in constant time.

import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { SessionUser } from './webex-oauth';
import { ConfigError } from '../errors';

export const SESSION_COOKIE = 'byova_session';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Constant-time string comparison (hashing first equalises the lengths). */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

export interface DashboardAuthOptions {
  /** The access token (login form and bearer access); undefined: neither is offered. */
  readonly token: string | undefined;
  /** Signs session cookies; random per process when absent (sessions end on restart). */
  readonly secret: string | undefined;
  readonly sessionTtlMs: number;
  readonly now?: () => number;
}

export class DashboardAuth {
  readonly #token: string | undefined;
  readonly #secret: Buffer;
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(options: DashboardAuthOptions) {
    if (options.token !== undefined && options.token.length < 12) {
      throw new ConfigError('the dashboard token must have at least 12 characters');
    }
    this.#token = options.token;
    this.#secret =
      options.secret !== undefined && options.secret !== ''
        ? Buffer.from(options.secret)
        : randomBytes(32);
    this.#ttlMs = options.sessionTtlMs;
    this.#now = options.now ?? Date.now;
  }

  /** Whether an access token is configured (login form and bearer access). */
  get hasToken(): boolean {
    return this.#token !== undefined;
  }

  /** Checks a token typed on the login page. */
  checkToken(candidate: string): boolean {
    return this.#token !== undefined && safeEqual(candidate, this.#token);
  }

  /** A new session cookie value: `<expiry ms>.<nonce>.<user, base64url JSON>.<hmac>`. */
  issueSession(user?: SessionUser): { value: string; maxAgeSeconds: number } {
    const expires = this.#now() + this.#ttlMs;
    const who = Buffer.from(JSON.stringify(user ?? null)).toString('base64url');
    const body = `${expires}.${randomBytes(12).toString('base64url')}.${who}`;
    return { value: `${body}.${this.#sign(body)}`, maxAgeSeconds: Math.floor(this.#ttlMs / 1000) };
  }

  /** The user of a valid session cookie (null for a token login), undefined without one. */
  sessionUser(request: IncomingMessage): SessionUser | null | undefined {
    const cookie = parseCookies(request.headers.cookie)[SESSION_COOKIE];
    if (cookie === undefined || !this.#validSession(cookie)) return undefined;
    try {
      return JSON.parse(
        Buffer.from(cookie.split('.')[2] ?? '', 'base64url').toString('utf8'),
      ) as SessionUser | null;
    } catch {
      return undefined;
    }
  }

  #sign(body: string): string {
    return createHmac('sha256', this.#secret).update(body).digest('base64url');
  }

  #validSession(value: string): boolean {
    const lastDot = value.lastIndexOf('.');
    if (lastDot <= 0) return false;
    const body = value.slice(0, lastDot);
    const signature = value.slice(lastDot + 1);
    if (!safeEqual(signature, this.#sign(body))) return false;
    const expires = Number(body.split('.')[0]);
    return Number.isFinite(expires) && expires > this.#now();
  }

  /** Whether a request carries a valid session cookie or bearer token. */
  isAuthenticated(request: IncomingMessage): boolean {
    const header = request.headers.authorization;
    if (header !== undefined && /^bearer\s+/i.test(header)) {
      return this.checkToken(header.replace(/^bearer\s+/i, '').trim());
    }
    const cookie = parseCookies(request.headers.cookie)[SESSION_COOKIE];
    return cookie !== undefined && this.#validSession(cookie);
  }
}

/** Parses a Cookie header. */
export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    try {
      out[name] = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      // A malformed cookie is ignored, as browsers do.
    }
  }
  return out;
}
