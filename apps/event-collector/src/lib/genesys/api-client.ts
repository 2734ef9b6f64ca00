import type { Logger } from 'pino';
import type { z } from 'zod';
import { Backoff, retryAfterMs, sleep } from '../backoff';
import { CollectorError, GenesysApiError, describeError } from '../errors';
import { redactUrls } from '../redact';
import { MAX_RESPONSE_BYTES, readBoundedText } from './bounded-body';
import { clip } from './frames';
import {
  availableTopicListingSchema,
  type Channel,
  channelSchema,
  type ChannelTopic,
  channelTopicListingSchema,
  type EventDefinition,
  eventDefinitionListingSchema,
  eventQueryResponseSchema,
} from './schemas';
import type { AccessToken, TokenProvider } from './token-provider';

export interface GenesysApiOptions {
  apiBaseUrl: string;
  tokens: TokenProvider;
  /** Per-request timeout. @default 30000 */
  timeoutMs: number;
  /** How many 429s in a row one call tolerates before giving up. @default 5 */
  maxRateLimitRetries?: number;
  logger: Logger;
  /** Called with the wait whenever a 429 is honoured (metrics, health). */
  onRateLimited?: (waitMs: number) => void;
  /** Called when a 401 makes us drop the token. */
  onUnauthorized?: () => void;
}

interface RequestOptions<T> {
  query?: Record<string, string>;
  body?: unknown;
  schema?: z.ZodType<T>;
  signal?: AbortSignal;
  /** Statuses that are answers, not failures (e.g. 404 on HEAD). */
  accept?: number[];
}

/** A channel as the collector tracks it: the REST `Channel` plus what created it. */
export interface CreatedChannel extends Channel {
  createdAt: number;
  expiresAt: number;
  /** When the token that created the channel needs replacing. */
  tokenRefreshAt: number;
}

/** A page of the operational-event history query. */
export interface EventQueryPage {
  entities: unknown[];
  /** The `after` cursor of the next page, if any. */
  nextCursor: string | undefined;
}

/** Channel life assumed when `expires` is missing or not believable (Genesys: 24 h). */
const CHANNEL_TTL_FALLBACK_MS = 24 * 3_600_000;
/** An `expires` less than this far ahead is not believed (real channels live 24 h). */
export const CHANNEL_TTL_MIN_MS = 5 * 60_000;
/** An `expires` further ahead than this counts as this far. */
const CHANNEL_TTL_MAX_MS = 7 * 24 * 3_600_000;

/**
 * When a new channel expires: its `expires`, at most 7 days ahead (further would overflow the
 * dates). One missing, unreadable, in the past or less than {@link CHANNEL_TTL_MIN_MS} ahead (a
 * broken server, or a clock far off) is replaced by the 24 h Genesys gives every channel, with a
 * warning: believed, it would make the renewal re-PUT the subscriptions every few seconds, for
 * good. The renewal itself keeps the channel alive.
 */
function channelExpiry(expires: string | undefined, now: number, logger: Logger): number {
  const parsed = expires === undefined ? NaN : Date.parse(expires);
  if (Number.isFinite(parsed) && parsed >= now + CHANNEL_TTL_MIN_MS) {
    return Math.min(now + CHANNEL_TTL_MAX_MS, parsed);
  }
  if (expires !== undefined) {
    logger.warn(
      { expires: clip(expires), assumedLifeH: CHANNEL_TTL_FALLBACK_MS / 3_600_000 },
      "the new channel's expires is unreadable, past or less than 5 minutes ahead; assuming 24 h",
    );
  }
  return now + CHANNEL_TTL_FALLBACK_MS;
}

/**
 * The few Genesys Cloud REST calls the collector makes. Adds the bearer token, refreshes it once
 * on a 401, honours `Retry-After` on a 429, validates every response with zod, and logs the
 * `ININ-Correlation-Id` of failures (never the token).
 */
export class GenesysApi {
  readonly #o: GenesysApiOptions;

  constructor(options: GenesysApiOptions) {
    this.#o = options;
  }

  /** `POST /api/v2/notifications/channels`. */
  async createChannel(signal?: AbortSignal): Promise<CreatedChannel> {
    const { data, token } = await this.#request('POST', '/api/v2/notifications/channels', {
      body: {},
      schema: channelSchema,
      ...(signal ? { signal } : {}),
    });
    const now = Date.now();
    return {
      ...data,
      createdAt: now,
      expiresAt: channelExpiry(data.expires, now, this.#o.logger),
      tokenRefreshAt: token.refreshAt,
    };
  }

  /** `HEAD /api/v2/notifications/channels/{id}`: false on 404. */
  async channelExists(channelId: string, signal?: AbortSignal): Promise<boolean> {
    const { status } = await this.#request(
      'HEAD',
      `/api/v2/notifications/channels/${encodeURIComponent(channelId)}`,
      { accept: [404], ...(signal ? { signal } : {}) },
    );
    return status !== 404;
  }

  /**
   * `PUT /api/v2/notifications/channels/{id}/subscriptions[?ignoreErrors=true]` with the array
   * body. Replaces the list (and extends the channel's life).
   */
  async putSubscriptions(
    channelId: string,
    topics: readonly string[],
    ignoreErrors: boolean,
    signal?: AbortSignal,
  ): Promise<ChannelTopic[]> {
    const { data } = await this.#request(
      'PUT',
      `/api/v2/notifications/channels/${encodeURIComponent(channelId)}/subscriptions`,
      {
        body: topics.map((id) => ({ id })),
        schema: channelTopicListingSchema,
        ...(ignoreErrors ? { query: { ignoreErrors: 'true' } } : {}),
        ...(signal ? { signal } : {}),
      },
    );
    return data.entities;
  }

  /** `GET /api/v2/usage/events/definitions` (needs `usage:events:view`). */
  async listEventDefinitions(signal?: AbortSignal): Promise<EventDefinition[]> {
    const { data } = await this.#request('GET', '/api/v2/usage/events/definitions', {
      schema: eventDefinitionListingSchema,
      ...(signal ? { signal } : {}),
    });
    return data.entities;
  }

  /** The `transports` of the first topic template starting with `prefix` in `availabletopics`. */
  async topicTransports(prefix: string, signal?: AbortSignal): Promise<string[] | undefined> {
    const { data } = await this.#request('GET', '/api/v2/notifications/availabletopics', {
      query: { expand: 'transports', includePreview: 'true' },
      schema: availableTopicListingSchema,
      ...(signal ? { signal } : {}),
    });
    return data.entities.find((t) => t.id.startsWith(prefix))?.transports;
  }

  /** One page of `POST /api/v2/usage/events/query`, oldest first. */
  async queryEvents(
    interval: { start: number; end: number },
    eventDefinitionIds: readonly string[],
    cursor: string | undefined,
    signal?: AbortSignal,
  ): Promise<EventQueryPage> {
    const query: Record<string, string> = { pageSize: '200' };
    if (cursor !== undefined) query['after'] = cursor;
    const { data } = await this.#request('POST', '/api/v2/usage/events/query', {
      query,
      body: {
        interval: `${new Date(interval.start).toISOString()}/${new Date(interval.end).toISOString()}`,
        eventDefinitionIds,
        sortOrder: 'ASC',
      },
      schema: eventQueryResponseSchema,
      ...(signal ? { signal } : {}),
    });
    let nextCursor: string | undefined;
    if (data.nextUri) {
      const after = new URL(data.nextUri, 'http://x').searchParams.get('after');
      if (after) nextCursor = after;
    }
    return { entities: data.entities, nextCursor };
  }

  async #request<T = undefined>(
    method: string,
    path: string,
    opts: RequestOptions<T>,
  ): Promise<{ status: number; data: T; token: AccessToken }> {
    const backoff = new Backoff({ initialMs: 1000, maxMs: 60_000 });
    const maxRateLimited = this.#o.maxRateLimitRetries ?? 5;
    let rateLimited = 0;
    let refreshed = false;
    const url = new URL(this.#o.apiBaseUrl + path);
    // The channel id is the socket credential: keep it out of logs and error messages.
    path = path.replace(/\/channels\/[^/]+/, '/channels/{channelId}');
    for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v);

    for (;;) {
      if (opts.signal?.aborted) throw new CollectorError('COLLECTOR_ERR_STOPPED', 'stopped');
      const token = await this.#o.tokens.get(opts.signal);
      const res = await this.#send(method, path, url, token, opts);
      const correlationId = res.headers.get('inin-correlation-id') ?? undefined;

      if (res.status === 401 && !refreshed) {
        await res.body?.cancel();
        refreshed = true;
        this.#o.tokens.invalidate(token.value);
        this.#o.onUnauthorized?.();
        this.#o.logger.warn({ method, path, correlationId }, 'token rejected (401); refreshing');
        continue;
      }
      if (res.status === 429 && rateLimited < maxRateLimited) {
        await res.body?.cancel();
        rateLimited += 1;
        const wait = retryAfterMs(res.headers) ?? backoff.next();
        this.#o.onRateLimited?.(wait);
        this.#o.logger.warn(
          { method, path, correlationId, waitMs: wait },
          'rate limited (429); waiting',
        );
        await sleep(wait, opts.signal);
        continue;
      }
      if ((res.status >= 200 && res.status < 300) || opts.accept?.includes(res.status)) {
        let data: unknown;
        if (opts.schema && res.status >= 200 && res.status < 300) {
          data = await this.#parseBody(res, opts.schema, `${method} ${path}`, correlationId);
        } else {
          await res.body?.cancel();
        }
        return { status: res.status, data: data as T, token };
      }
      throw await this.#failure(res, method, path, correlationId);
    }
  }

  /** One HTTP exchange with the bearer token; a transport failure becomes `COLLECTOR_ERR_API`. */
  async #send<T>(
    method: string,
    path: string,
    url: URL,
    token: AccessToken,
    opts: RequestOptions<T>,
  ): Promise<Response> {
    try {
      const timeout = AbortSignal.timeout(this.#o.timeoutMs);
      return await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${token.value}`,
          accept: 'application/json',
          ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
        signal: opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout,
      });
    } catch (err) {
      throw new CollectorError(
        'COLLECTOR_ERR_API',
        `${method} ${path} failed: ${redactUrls(describeError(err))}`,
      );
    }
  }

  /** Reads a 2xx body as JSON and validates it with `schema`. */
  async #parseBody<T>(
    res: Response,
    schema: z.ZodType<T>,
    call: string,
    correlationId: string | undefined,
  ): Promise<T> {
    let text: string | undefined;
    try {
      text = await readBoundedText(res, MAX_RESPONSE_BYTES);
    } catch (err) {
      throw new CollectorError(
        'COLLECTOR_ERR_API',
        `${call} failed while reading the answer: ${redactUrls(describeError(err))}`,
      );
    }
    if (text === undefined) {
      throw new GenesysApiError(
        'COLLECTOR_ERR_API',
        `${call} returned more than ${MAX_RESPONSE_BYTES} bytes`,
        res.status,
        correlationId,
      );
    }
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new GenesysApiError(
        'COLLECTOR_ERR_API',
        `${call} returned invalid JSON`,
        res.status,
        correlationId,
      );
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new GenesysApiError(
        'COLLECTOR_ERR_API',
        `${call} returned an unexpected body: ${parsed.error.issues[0]?.message ?? ''}`,
        res.status,
        correlationId,
      );
    }
    return parsed.data;
  }

  /** Logs a failed call (status, correlation id, start of the body) and returns its typed error. */
  async #failure(
    res: Response,
    method: string,
    path: string,
    correlationId: string | undefined,
  ): Promise<GenesysApiError> {
    const detail = ((await readBoundedText(res, 1200, true).catch(() => '')) ?? '').slice(0, 300);
    const code =
      res.status === 401 || res.status === 403
        ? 'COLLECTOR_ERR_AUTH'
        : res.status === 429
          ? 'COLLECTOR_ERR_RATE_LIMITED'
          : res.status === 404
            ? 'COLLECTOR_ERR_CHANNEL_GONE'
            : 'COLLECTOR_ERR_API';
    this.#o.logger.warn(
      { method, path, status: res.status, correlationId, detail },
      'Genesys API call failed',
    );
    return new GenesysApiError(
      code,
      `${method} ${path} failed with HTTP ${res.status}`,
      res.status,
      correlationId,
    );
  }
}
