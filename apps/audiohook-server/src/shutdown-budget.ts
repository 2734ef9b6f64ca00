// The server's time budget after SIGTERM, in one place for the two sides that must agree on it:
// main.ts gives it to the service kit as the stop deadline, and the stack (src/infra) refuses a
// configuration whose budget does not fit the container's stop timeout (SIGKILL after it).

import type { ServerConfig } from './config';

/** Time for the uploads in progress after the drain and the close transaction. */
export const UPLOAD_MARGIN_MS = 60_000;

/**
 * How long the server may take after SIGTERM: the drain (`DRAIN_TIMEOUT_MS`), the close
 * transaction (`CLOSE_TIMEOUT_MS`), then {@link UPLOAD_MARGIN_MS} for the last uploads.
 *
 * @example
 * ```ts
 * shutdownDeadlineMs(loadConfig({})); // 30 000 + 8 000 + 60 000 = 98 000
 * ```
 */
export function shutdownDeadlineMs(config: Pick<ServerConfig, 'drain' | 'limits'>): number {
  return config.drain.timeoutMs + config.limits.closeTimeoutMs + UPLOAD_MARGIN_MS;
}
