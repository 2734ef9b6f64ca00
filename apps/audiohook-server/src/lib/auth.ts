// Authentication of an upgrade request: API key lookup (static map / Secrets Manager) and the
// HTTP message signature check of the protocol library (spec §4), with a replay cache. The
// same outcome serves both failure strategies (HTTP 401 at the upgrade, or a delayed
// `disconnect` unauthorized in the session).

import type { IncomingMessage } from 'node:http';
import {
  AudioHookErrorCode,
  verifySignature,
  type NonceStore,
  type SignatureResultCode,
} from '@org/audiohook-protocol';
import type { ApiKeyStore } from './api-keys';
import type { AppLogger } from './logging';
import type { ServerMetrics } from './metrics';

/** Longest reason text in a `disconnect` info (the verifier may quote the client's input). */
export const MAX_REASON_CHARS = 120;

/**
 * A reason safe to send back and log: printable ASCII only (anything else becomes `?`), cut to
 * `max` characters with an ellipsis, so a client cannot make the server echo kilobytes.
 */
export function sanitizeReason(text: string, max = MAX_REASON_CHARS): string {
  const cut = text.length > max ? text.slice(0, max - 1) : text;
  const printable = cut.replace(/[^\x20-\x7e]/g, '?');
  return cut.length < text.length ? `${printable}…` : printable;
}

/** The authentication outcome; `code` is also the metrics label. */
export type AuthOutcome =
  | { readonly ok: true; readonly code: 'VERIFIED' | 'UNSIGNED_KEY' }
  | {
      readonly ok: false;
      readonly code: Exclude<SignatureResultCode, 'VERIFIED'> | 'UNKNOWN_KEY';
      /** The `disconnect` info: `<CODE>: <reason>`, as the reference words it. */
      readonly info: string;
    };

export interface RequestAuthenticatorOptions {
  readonly keys: ApiKeyStore;
  readonly metrics: ServerMetrics;
  /** Largest signature age in seconds. @default 10 */
  readonly maxAgeSeconds?: number;
  /** `tolerant` (skew widens the window) or the reference's tightening checks. @default 'tolerant' */
  readonly timeMode?: 'tolerant' | 'reference';
  /** Tolerated clock difference in seconds (applied in the tolerant direction). @default 3 */
  readonly clockSkewSeconds?: number;
  /** Shortest accepted nonce. @default 22 */
  readonly minNonceLength?: number;
  /**
   * Where nonces of verified signatures are claimed against replays: the in-process
   * `NonceCache`, or the DynamoDB table shared by every instance. Absent: no replay check.
   */
  readonly nonceStore: NonceStore | undefined;
  /** Reports replay-store failures (each refuses a session). */
  readonly logger: AppLogger;
}

function sessionIdOf(request: IncomingMessage): string | undefined {
  const value = request.headers['audiohook-session-id'];
  return typeof value === 'string' ? value.toLowerCase() : undefined;
}

/**
 * Authenticates upgrade requests.
 * - A key with a secret must come with a valid signature (`UNSIGNED`, `FAILED`, `EXPIRED`, …);
 *   a nonce seen before is refused (`PRECONDITION`), so a captured request cannot be replayed;
 *   when the nonce store cannot answer, the request is refused too (`UNAVAILABLE`, logged and
 *   counted in `audiohook_replay_store_errors_total`).
 * - A key without a secret (`""`/`null`) is accepted unsigned (`UNSIGNED_KEY`).
 * - A key not in the store fails like a wrong signature (`FAILED`); metrics count it as
 *   `UNKNOWN_KEY`.
 * The MAC comparison is constant-time (the library uses `crypto.timingSafeEqual`); reporting is
 * delayed uniformly by the caller.
 *
 * @example
 * ```ts
 * const auth = new RequestAuthenticator({ keys, metrics, nonceStore: new NonceCache(), logger });
 * const outcome = await auth.authenticate(request);
 * ```
 */
export class RequestAuthenticator {
  readonly #options: RequestAuthenticatorOptions;

  constructor(options: RequestAuthenticatorOptions) {
    this.#options = options;
  }

  async authenticate(request: IncomingMessage): Promise<AuthOutcome> {
    const outcome = await this.#authenticate(request);
    this.#options.metrics.authResults.inc({ code: outcome.code });
    return outcome;
  }

  async #authenticate(request: IncomingMessage): Promise<AuthOutcome> {
    let unknownKey = false;
    const verification = await verifySignature(
      { url: request.url ?? '/', headers: request.headers },
      {
        resolveSecret: async (apiKey) => {
          const entry = await this.#options.keys.lookup(apiKey);
          if (!entry.known) {
            unknownKey = true;
            return undefined;
          }
          return entry.secret;
        },
        maxAgeSeconds: this.#options.maxAgeSeconds ?? 10,
        clockSkewSeconds: this.#options.clockSkewSeconds ?? 3,
        timeMode: this.#options.timeMode ?? 'tolerant',
        minNonceLength: this.#options.minNonceLength ?? 22,
        ...(this.#options.nonceStore === undefined ? {} : { nonceStore: this.#options.nonceStore }),
      },
    );
    if (verification.ok) {
      return { ok: true, code: verification.signed ? 'VERIFIED' : 'UNSIGNED_KEY' };
    }
    const code = verification.code === 'VERIFIED' ? 'FAILED' : verification.code;
    if (code === 'UNAVAILABLE') {
      // Fail closed: a request whose key could not be looked up, or a valid signature whose
      // nonce could not be claimed, is refused.
      const lookup = verification.error?.code === AudioHookErrorCode.SecretLookup;
      if (!lookup) this.#options.metrics.replayStoreErrors.inc();
      const cause = verification.error?.cause;
      this.#options.logger.error(
        {
          sessionId: sessionIdOf(request),
          err: cause instanceof Error ? cause.message : String(cause),
          cause:
            cause instanceof Error && cause.cause instanceof Error
              ? cause.cause.message
              : undefined,
        },
        lookup
          ? 'API key lookup failed: session refused (fail closed)'
          : 'replay cache unavailable: session refused (fail closed)',
      );
    }
    return {
      ok: false,
      code: unknownKey ? 'UNKNOWN_KEY' : code,
      info: `${code}: ${sanitizeReason(verification.reason)}`,
    };
  }
}
