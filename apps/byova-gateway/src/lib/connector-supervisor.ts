// Starts the configured connectors and keeps retrying, in the background, those whose `init()`
// fails (a vendor briefly unreachable at start): capped exponential backoff per connector, one log
// line per failed attempt, and a callback when a late connector starts so its agents are offered.
// Until every configured connector has started the gateway reports NOT_SERVING.

import type { Connector } from '@org/byova';
import type { Logger } from 'pino';
import { z } from 'zod';
import { ConfigError } from './errors';
import { redactUrlUserinfo } from './security';

/** `gateway.connector_retry` of the YAML (validated here: the gateway section is open). */
const connectorRetrySchema = z
  .object({
    /** Delay before the first retry of a connector whose `init()` failed. */
    initial_delay_ms: z.number().int().min(10).max(3_600_000).default(1000),
    /** The delay doubles (`multiplier`) after each failure up to this cap. */
    max_delay_ms: z.number().int().min(10).max(3_600_000).default(60_000),
    multiplier: z.number().min(1).max(10).default(2),
  })
  .strict()
  .refine((r) => r.max_delay_ms >= r.initial_delay_ms, {
    message: 'max_delay_ms must be at least initial_delay_ms',
  });

/** How a connector whose `init()` failed is retried. */
export interface ConnectorRetryPolicy {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly multiplier: number;
}

/**
 * The retry policy of `gateway.connector_retry` (defaults: 1 s, doubling, at most 60 s).
 *
 * @throws ConfigError listing every problem of the block.
 */
export function connectorRetryPolicy(
  gateway: Readonly<Record<string, unknown>>,
): ConnectorRetryPolicy {
  const result = connectorRetrySchema.safeParse(gateway['connector_retry'] ?? {});
  if (!result.success) {
    const lines = result.error.issues.map(
      (issue) =>
        `  gateway.connector_retry${issue.path.map((p) => `.${String(p)}`).join('')}: ${issue.message}`,
    );
    throw new ConfigError(`invalid gateway configuration:\n${lines.join('\n')}`);
  }
  const { initial_delay_ms, max_delay_ms, multiplier } = result.data;
  return { initialDelayMs: initial_delay_ms, maxDelayMs: max_delay_ms, multiplier };
}

/** The wait after the `failures`-th consecutive failure (1-based): exponential, capped. */
export function retryDelayMs(policy: ConnectorRetryPolicy, failures: number): number {
  const exponent = Math.max(0, failures - 1);
  return Math.min(
    policy.maxDelayMs,
    Math.round(policy.initialDelayMs * policy.multiplier ** exponent),
  );
}

/** Longest error text logged for a failed start. */
const MAX_ERROR_TEXT = 300;

/**
 * What is logged of a start failure: its class, code and message, with the user information of
 * any URL in it removed (`https://user:pw@host` → `https://[redacted]@host`) and cut to a bounded
 * length. Never the connector's configuration.
 */
export function describeStartFailure(error: unknown): {
  type: string;
  code?: string;
  message: string;
} {
  const e = error instanceof Error ? error : new Error(String(error));
  const code = (e as { code?: unknown }).code;
  const message = redactUrlUserinfo(e.message);
  return {
    type: e.name,
    ...(typeof code === 'string' ? { code } : {}),
    message: message.length > MAX_ERROR_TEXT ? `${message.slice(0, MAX_ERROR_TEXT)}…` : message,
  };
}

export interface ConnectorSupervisorOptions {
  /** Every configured connector, in configuration order. */
  readonly connectors: readonly Connector[];
  readonly policy: ConnectorRetryPolicy;
  readonly logger: Logger;
  /** A connector started on a retry (not called for those that start in {@link ConnectorSupervisor.start}). */
  readonly onStarted?: (connector: Connector) => void;
  /** A start attempt failed (metrics). */
  readonly onFailure?: (connector: Connector) => void;
}

interface Supervised {
  readonly connector: Connector;
  started: boolean;
  failures: number;
  timer: NodeJS.Timeout | undefined;
}

export class ConnectorSupervisor {
  readonly #options: ConnectorSupervisorOptions;
  readonly #entries: readonly Supervised[];
  #stopped = false;

  constructor(options: ConnectorSupervisorOptions) {
    this.#options = options;
    this.#entries = options.connectors.map((connector) => ({
      connector,
      started: false,
      failures: 0,
      timer: undefined,
    }));
  }

  /** Initialises every connector at once; those that fail are retried in the background. */
  async start(): Promise<void> {
    const results = await Promise.allSettled(this.#entries.map((e) => this.#init(e.connector)));
    results.forEach((result, i) => {
      const entry = this.#entries[i] as Supervised;
      if (result.status === 'fulfilled') entry.started = true;
      else this.#failed(entry, result.reason);
    });
  }

  /** The connectors that have started, in configuration order. */
  started(): Connector[] {
    return this.#entries.filter((e) => e.started).map((e) => e.connector);
  }

  /** Keys of the configured connectors that have not started (yet). */
  pending(): string[] {
    return this.#entries.filter((e) => !e.started).map((e) => e.connector.key);
  }

  /** Retries waiting on a timer. */
  get scheduledRetries(): number {
    return this.#entries.filter((e) => e.timer !== undefined).length;
  }

  /** Cancels every pending retry; an attempt under way is ignored when it settles. */
  stop(): void {
    this.#stopped = true;
    for (const entry of this.#entries) {
      if (entry.timer !== undefined) clearTimeout(entry.timer);
      entry.timer = undefined;
    }
  }

  /** `init()`, with a synchronous throw turned into a rejection. */
  async #init(connector: Connector): Promise<void> {
    await connector.init();
  }

  #failed(entry: Supervised, error: unknown): void {
    if (this.#stopped) return;
    entry.failures += 1;
    this.#options.onFailure?.(entry.connector);
    const delay = retryDelayMs(this.#options.policy, entry.failures);
    this.#options.logger.error(
      {
        connector: entry.connector.key,
        attempt: entry.failures,
        retry_in_ms: delay,
        error: describeStartFailure(error),
      },
      'connector failed to start; retrying in the background (its agents are not offered and health reports NOT_SERVING until it starts)',
    );
    const timer = setTimeout(() => {
      entry.timer = undefined;
      void this.#retry(entry);
    }, delay);
    // Never what keeps the process alive; stop() clears it.
    timer.unref();
    entry.timer = timer;
  }

  async #retry(entry: Supervised): Promise<void> {
    if (this.#stopped) return;
    try {
      await this.#init(entry.connector);
    } catch (error) {
      this.#failed(entry, error);
      return;
    }
    if (this.#stopped) return;
    entry.started = true;
    this.#options.logger.info(
      { connector: entry.connector.key, attempts: entry.failures + 1 },
      'connector started after retrying; its agents are offered',
    );
    try {
      this.#options.onStarted?.(entry.connector);
    } catch (error) {
      this.#options.logger.error(
        { connector: entry.connector.key, error: describeStartFailure(error) },
        'connector started but could not be offered',
      );
    }
  }
}
