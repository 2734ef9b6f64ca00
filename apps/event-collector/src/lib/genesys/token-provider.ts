import type { Logger } from 'pino';
import { retryAfterMs, sleep } from '../backoff';
import { CollectorError, describeError } from '../errors';
import { redactUrls } from '../redact';
import { readBoundedText } from './bounded-body';
import { tokenResponseSchema } from './schemas';

/** A cached client-credentials token. The value is a secret and is never logged. */
export interface AccessToken {
  value: string;
  expiresAt: number;
  /** When the provider will stop handing this token out and fetch a new one. */
  refreshAt: number;
}

export interface TokenProviderOptions {
  loginBaseUrl: string;
  clientId: string;
  clientSecret: string;
  /** Refresh this long before `expires_in` runs out. @default 300000 */
  refreshMarginMs: number;
  /** Per-request timeout. @default 30000 */
  timeoutMs: number;
  /** First wait after a failed login; doubles up to 300 s. @default 1000 */
  failureBackoffMs: number;
  logger: Logger;
  /** Called on every successful token fetch (metrics). */
  onIssued?: () => void;
}

/** Assumed lifetime when the token response has no `expires_in` (as the Python collector did). */
const DEFAULT_EXPIRES_IN_S = 3600;
/** Longest lifetime believed (a week; Genesys issues at most 48 h). */
const MAX_EXPIRES_IN_S = 7 * 86_400;
const MAX_LOGIN_BACKOFF_MS = 300_000;
/** A token answer is a few hundred bytes; more is not read (memory stays bounded). */
const MAX_TOKEN_RESPONSE_BYTES = 64 * 1024;

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * OAuth client-credentials tokens for Genesys Cloud: cached, refreshed early, fetched by one
 * request at a time, and backed off hard after a rejected login so bad credentials never hammer
 * the login service.
 *
 * @example
 * ```ts
 * const tokens = new TokenProvider({ loginBaseUrl: 'https://login.usw2.pure.cloud', ... });
 * const { value } = await tokens.get();
 * ```
 */
export class TokenProvider {
  readonly #o: TokenProviderOptions;
  readonly #basic: string;
  #token: AccessToken | undefined;
  #inflight: Promise<AccessToken> | undefined;
  #failures = 0;
  #nextAttemptAt = 0;
  #lastError: string | undefined;
  #lastIssuedAt: number | undefined;

  constructor(options: TokenProviderOptions) {
    this.#o = options;
    this.#basic = Buffer.from(`${options.clientId}:${options.clientSecret}`, 'utf8').toString(
      'base64',
    );
  }

  /** A valid token, fetching a new one if the cached one is missing or close to expiry. */
  get(signal?: AbortSignal): Promise<AccessToken> {
    const t = this.#token;
    if (t && Date.now() < t.refreshAt) return Promise.resolve(t);
    this.#inflight ??= this.#fetch(signal).finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  /** Drops the cached token if it is still `value` (after a 401 or a `token_revoked`). */
  invalidate(value?: string): void {
    if (value === undefined || this.#token?.value === value) this.#token = undefined;
  }

  /** Health view: never contains the token or the secret. */
  status(): {
    ok: boolean;
    consecutiveFailures: number;
    lastError: string | undefined;
    lastIssuedAt: string | undefined;
  } {
    return {
      ok: this.#failures === 0,
      consecutiveFailures: this.#failures,
      lastError: this.#lastError,
      lastIssuedAt:
        this.#lastIssuedAt === undefined ? undefined : new Date(this.#lastIssuedAt).toISOString(),
    };
  }

  async #fetch(signal?: AbortSignal): Promise<AccessToken> {
    const wait = this.#nextAttemptAt - Date.now();
    if (wait > 0) await sleep(wait, signal);
    if (signal?.aborted) throw new CollectorError('COLLECTOR_ERR_STOPPED', 'stopped');

    let res: Response;
    try {
      res = await fetch(`${this.#o.loginBaseUrl}/oauth/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${this.#basic}`,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: 'grant_type=client_credentials',
        signal: AbortSignal.timeout(this.#o.timeoutMs),
      });
    } catch (err) {
      throw this.#fail(undefined, `login request failed: ${redactUrls(describeError(err))}`);
    }
    if (res.status !== 200) {
      // Never parse the error body for control flow: its shape is not documented.
      await res.body?.cancel();
      const explicit = res.status === 429 ? retryAfterMs(res.headers) : undefined;
      throw this.#fail(explicit, `login rejected with HTTP ${res.status}`);
    }
    const text = await readBoundedText(res, MAX_TOKEN_RESPONSE_BYTES).catch(() => undefined);
    const parsed = tokenResponseSchema.safeParse(parseJson(text));
    if (!parsed.success) throw this.#fail(undefined, 'login returned an unexpected body');

    // Genesys allows at most 48 h; a far larger `expires_in` (1e300) would overflow the dates.
    const lifetimeMs =
      Math.min(parsed.data.expires_in ?? DEFAULT_EXPIRES_IN_S, MAX_EXPIRES_IN_S) * 1000;
    // A margin larger than the lifetime would make every token stale on arrival.
    const now = Date.now();
    const token: AccessToken = {
      value: parsed.data.access_token,
      expiresAt: now + lifetimeMs,
      refreshAt: now + lifetimeMs - this.#o.refreshMarginMs,
    };
    if (this.#o.refreshMarginMs >= lifetimeMs) {
      this.#o.logger.warn(
        { expiresInS: lifetimeMs / 1000, refreshMarginS: this.#o.refreshMarginMs / 1000 },
        'token lifetime is shorter than TOKEN_REFRESH_MARGIN_S; refreshing at half-life instead',
      );
      token.refreshAt = now + lifetimeMs / 2;
    }
    this.#token = token;
    this.#failures = 0;
    this.#nextAttemptAt = 0;
    this.#lastError = undefined;
    this.#lastIssuedAt = Date.now();
    this.#o.onIssued?.();
    this.#o.logger.info(
      { expiresAt: new Date(Date.now() + lifetimeMs).toISOString() },
      'obtained access token',
    );
    return token;
  }

  #fail(explicitWaitMs: number | undefined, message: string): CollectorError {
    this.#failures += 1;
    this.#lastError = message;
    const backoff = Math.min(
      MAX_LOGIN_BACKOFF_MS,
      this.#o.failureBackoffMs * 2 ** (this.#failures - 1),
    );
    this.#nextAttemptAt = Date.now() + (explicitWaitMs ?? backoff);
    this.#o.logger.error(
      { consecutiveFailures: this.#failures, retryInMs: explicitWaitMs ?? backoff },
      message,
    );
    return new CollectorError('COLLECTOR_ERR_AUTH', message);
  }
}
