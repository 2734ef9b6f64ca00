// What the gateway refuses to expose: listeners on a non-loopback address without authentication
// (gRPC without enforced JWT validation, the dashboard without login) unless
// BYOVA_ALLOW_INSECURE=true says so, and secrets in the dashboard's configuration view.

import type { Logger } from 'pino';
import type { GatewayConfig } from '../config';
import { GatewayError, GatewayErrorCode } from './errors';

/** Whether a bind address only accepts connections from this host. */
export function isLoopback(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** Listeners reachable from other hosts without authentication, described for the operator. */
export function unauthenticatedListeners(config: GatewayConfig): string[] {
  const found: string[] = [];
  const { gateway, jwt_validation: jwt, monitoring, authentication } = config;
  if (!isLoopback(gateway.host) && !(jwt.enabled && jwt.enforce_validation)) {
    found.push(
      `gRPC on ${gateway.host}:${gateway.port} without enforced JWT validation (jwt_validation.enabled)`,
    );
  }
  if (monitoring.enabled && !isLoopback(monitoring.host) && !authentication.enabled) {
    found.push(
      `dashboard on ${monitoring.host}:${monitoring.port} without login (authentication.enabled)`,
    );
  }
  return found;
}

/**
 * Refuses an unauthenticated listener on a non-loopback address unless `allowInsecure`
 * (BYOVA_ALLOW_INSECURE=true), in which case each one gets a loud warning.
 *
 * @throws GatewayError `BYOVA_GW_ERR_INSECURE` naming every such listener.
 */
export function checkExposure(config: GatewayConfig, allowInsecure: boolean, logger: Logger): void {
  const found = unauthenticatedListeners(config);
  if (found.length === 0) return;
  if (!allowInsecure) {
    throw new GatewayError(
      GatewayErrorCode.Insecure,
      `refusing to start: ${found.join('; ')}. Enable authentication, bind to 127.0.0.1, or set BYOVA_ALLOW_INSECURE=true to accept the risk`,
    );
  }
  for (const listener of found) {
    logger.warn(
      { listener, allow_insecure: true },
      `INSECURE: ${listener} is open to anyone who can reach it (BYOVA_ALLOW_INSECURE=true)`,
    );
  }
}

/**
 * Which configuration keys name a secret: the one definition, which the README points to. A key
 * is first put in snake case (`privateKey`, `x-api-key` and `Private Key` become `private_key`,
 * `x_api_key`, `private_key`); it names a secret when one of these matches:
 *
 * - anywhere in it: `secret`, `password`, `passwd`, `passphrase`, `token`, `credential`,
 *   `authorization`, `cookie`, `bearer` (`client_secret`, `crm_api_token`, `credentials`);
 * - a key word: `api`, `access`, `private`, `client`, `account`, `signing`, `encryption`,
 *   `session`, `master`, `secret` or `license`, then `key` or `keys`, with or without `_`
 *   (`api_key`, `apikey`, `aws_access_key_id`, `service_account_key`, `client_key`);
 * - a whole word: `key`, `keys`, `pwd`, `dsn`, `auth` (`openai_key`, `key_file`, `sentry_dsn`,
 *   `basic_auth`; `authentication` is not `auth`);
 * - `connection_string`, `conn_str`, `connectionstring`.
 *
 * Keys ending in `_env` (or `Env`) name an environment variable, not its value, and are kept.
 */
export const SECRET_KEY_PATTERNS: readonly RegExp[] = Object.freeze([
  /secret|password|passwd|passphrase|token|credential|authorization|cookie|bearer/,
  /(api|access|private|client|account|signing|encryption|session|master|secret|license)_?keys?(_|$)/,
  /(^|_)(keys?|pwd|dsn|auth)(_|$)/,
  /(^|_)conn(ection)?_?str(ing)?(_|$)/,
]);

/** `privateKey`, `x-api-key`, `Private Key` → `private_key`, `x_api_key`, `private_key`. */
function snakeCase(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/** Whether the value under `key` is a secret (see {@link SECRET_KEY_PATTERNS}). */
export function isSecretKey(key: string): boolean {
  const snake = snakeCase(key);
  if (/(^|_)env$/.test(snake)) return false;
  return SECRET_KEY_PATTERNS.some((pattern) => pattern.test(snake));
}

/** The value shown for a redacted secret. */
export const REDACTED = '[redacted]';

/** `scheme://user:password@host…`: the user information of a URL. */
const USERINFO = /([a-z][a-z0-9+.-]*:\/\/)[^/?#\s@]*@/.source;
/** A string that is a URL with user information. */
const URL_USERINFO = new RegExp(`^${USERINFO}`, 'i');
/** Every URL with user information in a text. */
const ANY_URL_USERINFO = new RegExp(USERINFO, 'gi');

/** `text` with the user information of every URL in it redacted (`https://[redacted]@host`). */
export function redactUrlUserinfo(text: string): string {
  return text.replace(ANY_URL_USERINFO, `$1${REDACTED}@`);
}

/**
 * A copy of `value` whose secrets are replaced with `[redacted]`:
 *
 * - every value under a key that names a secret ({@link isSecretKey}), whatever its type: a
 *   string, number or boolean, and an object or array as a whole (only null stays null);
 * - the user information (`user:password@`) of any string that is a URL, whatever its key
 *   (`postgres://app:pw@db/x` becomes `postgres://[redacted]@db/x`).
 *
 * Used for everything the dashboard shows of the configuration, built-in and plug-in connector
 * entries alike.
 */
export function redactSecrets(value: unknown, key = ''): unknown {
  if (value === null || value === undefined) return value;
  if (key !== '' && isSecretKey(key)) return REDACTED;
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item));
  if (typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, redactSecrets(v, k)]),
    );
  }
  return typeof value === 'string' ? value.replace(URL_USERINFO, `$1${REDACTED}@`) : value;
}
