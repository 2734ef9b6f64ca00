// The Webex datasource (BYODS) lifecycle: WxCC only calls a gateway whose data source is
// registered and whose JWS is alive (at most 24 h). At start the gateway finds its data source
// (by id, else by URL + schema + audience + subject, else by URL + schema), registers it when
// there is none, reconciles drift, renews the JWS when it is close to expiry, then renews it ahead
// of every expiry, retrying after failures. Several instances starting at once register one data
// source between them (see datasource-election.ts), and several matching data sources (left by
// an older deployment) are not an error: every instance picks the same one, the oldest.

import { randomUUID } from 'node:crypto';
import { decodeJwt } from 'jose';
import type { Logger } from 'pino';
import type { ServiceErrorOptions } from '@org/service-kit';
import type { DataSourceElection } from './datasource-election';
import { GatewayError, GatewayErrorCode } from './errors';

/** A data source as the Data Sources API returns it (the fields used here). */
export interface DataSource {
  readonly id: string;
  readonly schemaId?: string;
  readonly url?: string;
  readonly audience?: string;
  readonly subject?: string;
  readonly status?: string;
  readonly jwsToken?: string;
  readonly tokenExpiryTime?: string;
  /** ISO time; `GET /dataSources/{id}` returns it, the list may not. */
  readonly createdAt?: string;
}

/** Supplies the service-app access token for the Data Sources API. */
export interface AccessTokenSource {
  token(): Promise<string>;
}

export class DataSourceError extends GatewayError {
  constructor(message: string, options: ServiceErrorOptions = {}) {
    super(GatewayErrorCode.DataSource, message, options);
  }
}

/** A fixed token (from the environment). */
export class StaticAccessToken implements AccessTokenSource {
  constructor(readonly value: string) {}
  async token(): Promise<string> {
    return this.value;
  }
}

/** Refresh-token grant at `<base>/access_token`, cached until shortly before it expires. */
export class RefreshingAccessToken implements AccessTokenSource {
  #refreshToken: string;
  #cached: { token: string; until: number } | undefined;

  constructor(
    readonly options: {
      readonly baseUrl: string;
      readonly clientId: string;
      readonly clientSecret: string;
      readonly refreshToken: string;
      readonly timeoutMs: number;
      readonly fetch?: typeof fetch;
    },
  ) {
    this.#refreshToken = options.refreshToken;
  }

  async token(): Promise<string> {
    if (this.#cached !== undefined && Date.now() < this.#cached.until) return this.#cached.token;
    const response = await (this.options.fetch ?? fetch)(`${this.options.baseUrl}/access_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: this.options.clientId,
        client_secret: this.options.clientSecret,
        refresh_token: this.#refreshToken,
      }),
      signal: AbortSignal.timeout(this.options.timeoutMs),
    });
    const body = (await response.json().catch(() => ({}))) as {
      access_token?: unknown;
      expires_in?: unknown;
      refresh_token?: unknown;
    };
    if (!response.ok || typeof body.access_token !== 'string') {
      throw new DataSourceError(
        `refreshing the service-app token failed (HTTP ${response.status})`,
      );
    }
    if (typeof body.refresh_token === 'string' && body.refresh_token !== '')
      this.#refreshToken = body.refresh_token;
    const seconds = typeof body.expires_in === 'number' ? body.expires_in : 3600;
    this.#cached = {
      token: body.access_token,
      until: Date.now() + Math.max(0, seconds - 60) * 1000,
    };
    return body.access_token;
  }
}

export interface DataSourceLifecycleOptions {
  readonly baseUrl: string;
  readonly id: string | undefined;
  readonly url: string;
  readonly schemaId: string;
  readonly audience: string;
  readonly subject: string;
  readonly tokenLifetimeMinutes: number;
  readonly renewalLeadMs: number;
  readonly retryMs: number;
  readonly timeoutMs: number;
  readonly auth: AccessTokenSource;
  readonly logger: Logger;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
  /**
   * Elects the one instance that registers the data source when none exists (with the shared
   * conversation table); without it this instance registers on its own.
   */
  readonly election?: DataSourceElection;
}

/** What the dashboard shows about the data source. */
export interface DataSourceStatus {
  readonly id: string | undefined;
  readonly status: string | undefined;
  readonly url: string;
  readonly token_expiry_time: string | undefined;
  readonly last_renewal: string | undefined;
  readonly last_error: string | undefined;
  readonly next_renewal: string | undefined;
}

function expiryOf(item: DataSource): number | undefined {
  if (item.tokenExpiryTime !== undefined) {
    const at = Date.parse(item.tokenExpiryTime);
    if (Number.isFinite(at)) return at;
  }
  if (item.jwsToken !== undefined) {
    try {
      const exp = decodeJwt(item.jwsToken).exp;
      if (exp !== undefined) return exp * 1000;
    } catch {
      // An undecodable JWS has no known expiry: it is renewed at once.
    }
  }
  return undefined;
}

function claim(
  item: DataSource,
  name: 'aud' | 'sub' | 'com.cisco.datasource.schema.uuid',
): string | undefined {
  if (item.jwsToken === undefined) return undefined;
  try {
    const value = decodeJwt(item.jwsToken)[name];
    return typeof value === 'string'
      ? value
      : Array.isArray(value)
        ? (value[0] as string | undefined)
        : undefined;
  } catch {
    return undefined;
  }
}

export class DataSourceLifecycle {
  readonly #options: DataSourceLifecycleOptions;
  readonly #fetch: typeof fetch;
  readonly #now: () => number;
  #item: DataSource | undefined;
  #timer: NodeJS.Timeout | undefined;
  #lastRenewal: number | undefined;
  #lastError: string | undefined;
  #nextRenewal: number | undefined;
  #stopped = false;

  constructor(options: DataSourceLifecycleOptions) {
    this.#options = options;
    this.#fetch = options.fetch ?? fetch;
    this.#now = options.now ?? Date.now;
  }

  status(): DataSourceStatus {
    const expiry = this.#item !== undefined ? expiryOf(this.#item) : undefined;
    const iso = (ms: number | undefined): string | undefined =>
      ms !== undefined ? new Date(ms).toISOString() : undefined;
    return {
      id: this.#item?.id,
      status: this.#item?.status,
      url: this.#options.url,
      token_expiry_time: iso(expiry),
      last_renewal: iso(this.#lastRenewal),
      last_error: this.#lastError,
      next_renewal: iso(this.#nextRenewal),
    };
  }

  async #call(method: string, path: string, body?: object): Promise<unknown> {
    const token = await this.#options.auth.token();
    const response = await this.#fetch(`${this.#options.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'application/json',
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(this.#options.timeoutMs),
    });
    const text = await response.text();
    if (!response.ok) {
      const message = (() => {
        try {
          return String((JSON.parse(text) as { message?: unknown }).message ?? '');
        } catch {
          return '';
        }
      })();
      throw new DataSourceError(
        `${method} ${path} failed: HTTP ${response.status}${message ? ` ${message}` : ''}`,
        { details: { method, status: response.status } },
      );
    }
    return text === '' ? {} : JSON.parse(text);
  }

  #desired(): object {
    const o = this.#options;
    return {
      schemaId: o.schemaId,
      url: o.url,
      audience: o.audience,
      subject: o.subject,
      nonce: randomUUID(),
      tokenLifetimeMinutes: o.tokenLifetimeMinutes,
    };
  }

  async #find(): Promise<DataSource | undefined> {
    const o = this.#options;
    if (o.id !== undefined)
      return (await this.#call('GET', `/dataSources/${encodeURIComponent(o.id)}`)) as DataSource;
    const list = (await this.#call('GET', '/dataSources')) as { items?: DataSource[] };
    const items = list.items ?? [];
    const schemaOf = (i: DataSource): string | undefined =>
      i.schemaId ?? claim(i, 'com.cisco.datasource.schema.uuid');
    const base = items.filter((i) => i.url === o.url && schemaOf(i) === o.schemaId);
    const exact = base.filter(
      (i) =>
        (i.audience ?? claim(i, 'aud')) === o.audience &&
        (i.subject ?? claim(i, 'sub')) === o.subject,
    );
    const candidates = exact.length > 0 ? exact : base;
    return candidates.length > 1 ? this.#pick(candidates) : candidates[0];
  }

  /**
   * One of several matching data sources, the same on every instance: the oldest (`createdAt`,
   * read with a GET when the list lacks it), then the lowest id. The others are left alone (one
   * of them may be the id a Control Hub feature names) and named in a warning.
   */
  async #pick(candidates: readonly DataSource[]): Promise<DataSource | undefined> {
    const dated = (
      await Promise.all(candidates.map((c) => (c.createdAt !== undefined ? c : this.#read(c.id))))
    ).filter((c): c is DataSource => c !== undefined);
    const createdAt = (c: DataSource): number => {
      const at = c.createdAt !== undefined ? Date.parse(c.createdAt) : Number.NaN;
      return Number.isFinite(at) ? at : Number.POSITIVE_INFINITY;
    };
    const sorted = [...dated].sort(
      (a, b) => createdAt(a) - createdAt(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    );
    const chosen = sorted[0];
    if (chosen !== undefined) {
      this.#options.logger.warn(
        {
          data_source_id: chosen.id,
          other_data_source_ids: sorted.slice(1).map((c) => c.id),
          url: this.#options.url,
        },
        'several data sources match; using the oldest. Set data_source.id to choose, and delete the others in Webex',
      );
    }
    return chosen;
  }

  /** The data source `id`, or undefined when Webex no longer has it (404). */
  async #read(id: string): Promise<DataSource | undefined> {
    try {
      return (await this.#call('GET', `/dataSources/${encodeURIComponent(id)}`)) as DataSource;
    } catch (error) {
      if (error instanceof DataSourceError && error.details?.['status'] === 404) return undefined;
      throw error;
    }
  }

  async #register(): Promise<DataSource> {
    const item = (await this.#call('POST', '/dataSources', this.#desired())) as DataSource;
    this.#options.logger.info({ data_source_id: item.id }, 'data source registered');
    this.#lastRenewal = this.#now();
    return item;
  }

  /** Registers the data source, on one instance only when an election is configured. */
  #registerOnce(): Promise<DataSource> {
    const o = this.#options;
    if (o.election === undefined) return this.#register();
    return o.election.registerOnce(
      {
        baseUrl: o.baseUrl,
        url: o.url,
        schemaId: o.schemaId,
        audience: o.audience,
        subject: o.subject,
      },
      { find: () => this.#find(), register: () => this.#register(), read: (id) => this.#read(id) },
    );
  }

  /** Finds or registers the data source and makes sure its JWS is alive; then keeps it renewed. */
  async start(): Promise<void> {
    const o = this.#options;
    const found = await this.#find();
    let item = found ?? (await this.#registerOnce());
    if (
      found !== undefined &&
      ((item.audience ?? claim(item, 'aud')) !== o.audience ||
        (item.subject ?? claim(item, 'sub')) !== o.subject ||
        (item.status !== undefined && item.status !== 'active'))
    ) {
      item = await this.#renew(item.id, 'reconciled');
    }
    this.#item = item;
    const expiry = expiryOf(item);
    if (expiry === undefined || expiry - o.renewalLeadMs <= this.#now()) {
      this.#item = await this.#renew(item.id, 'renewed at start');
    }
    this.#schedule();
  }

  async #renew(id: string, why: string): Promise<DataSource> {
    const item = (await this.#call('PUT', `/dataSources/${encodeURIComponent(id)}`, {
      ...this.#desired(),
      status: 'active',
    })) as DataSource;
    this.#lastRenewal = this.#now();
    this.#lastError = undefined;
    this.#options.logger.info(
      { data_source_id: id, token_expiry_time: this.status().token_expiry_time ?? null, why },
      'data source JWS renewed',
    );
    return item;
  }

  #schedule(delayMs?: number): void {
    if (this.#stopped || this.#item === undefined) return;
    const expiry = expiryOf(this.#item);
    const delay =
      delayMs ?? Math.max(0, (expiry ?? this.#now()) - this.#options.renewalLeadMs - this.#now());
    this.#nextRenewal = this.#now() + delay;
    // setTimeout holds at most ~24.8 days; renewals are at most a day apart.
    this.#timer = setTimeout(() => void this.#tick(), Math.min(delay, 2_147_483_000));
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    const id = this.#item?.id;
    if (id === undefined || this.#stopped) return;
    try {
      this.#item = await this.#renew(id, 'scheduled');
      this.#schedule();
    } catch (error) {
      this.#lastError = (error as Error).message;
      this.#options.logger.error(
        { err: error, data_source_id: id },
        'data source renewal failed; retrying',
      );
      this.#schedule(this.#options.retryMs);
    }
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
