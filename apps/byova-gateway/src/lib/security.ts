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

const SECRET_KEY =
  /(secret|password|passwd|token|api[-_]?key|access[-_]?key|private[-_]?key|credential|authorization|cookie)/i;

/** The value shown for a redacted secret. */
export const REDACTED = '[redacted]';

/**
 * A copy of `value` whose secrets are replaced with `[redacted]`: every string (or object) under a
 * key that names a secret. Keys ending in `_env` name an environment variable, not its value, and
 * are kept.
 */
export function redactSecrets(value: unknown, key = ''): unknown {
  const secret = SECRET_KEY.test(key) && !/_env$/i.test(key);
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, key));
  if (value !== null && typeof value === 'object') {
    if (secret) return REDACTED;
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, redactSecrets(v, k)]),
    );
  }
  return secret && typeof value === 'string' ? REDACTED : value;
}
