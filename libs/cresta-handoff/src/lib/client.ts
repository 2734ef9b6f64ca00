import * as z from 'zod/mini';
import { Deadline } from './deadline';
import { CrestaError, CrestaErrorCode, messageOf, truncateForError, urlForMessage } from './errors';
import { type HttpResponse, type HttpTransport, NodeHttpTransport } from './http-transport';
import { type CrestaLogger, silentLogger } from './logger';
import {
  type AiAgentHandoff,
  buildPstnTransferRequest,
  parseHandoffResponse,
  type PstnTransferInput,
} from './payloads';
import {
  type AttemptRequest,
  DEFAULT_RETRY_POLICY,
  type RetryPolicy,
  retryPolicyProblem,
  sendWithRetry,
} from './retry';
import { TokenCache } from './token-cache';
import { HEADER_TOKEN, readTokenResponse } from './token-response';
import type { VirtualAgentName } from './virtual-agent';

/** How the client authenticates. */
export type CrestaAuth =
  | { readonly kind: 'oauth'; readonly clientId: string; readonly clientSecret: string }
  | { readonly kind: 'apiKey'; readonly apiKey: string };

/** Options of {@link CrestaClient}. */
export interface CrestaClientOptions {
  /** API base, e.g. `https://api.us-west-2-prod.cresta.com` (see `resolveInvocation`). */
  apiBase: string;
  /** OAuth base, e.g. `https://auth.us-west-2-prod.cresta.ai`; required for OAuth. */
  authBase?: string;
  auth: CrestaAuth;
  /** @default a new NodeHttpTransport (keep-alive) */
  transport?: HttpTransport;
  /** Share one cache across clients to reuse tokens across invocations. @default a new TokenCache */
  tokenCache?: TokenCache;
  /**
   * Merged over DEFAULT_RETRY_POLICY and checked with `retryPolicyProblem` (`maxRetries` an integer
   * ≤ 10, delays and timeouts finite, ≥ 0 and ≤ 2^31 − 1 ms, `attemptTimeoutMs` > 0).
   * @default DEFAULT_RETRY_POLICY
   */
  retry?: Partial<RetryPolicy>;
  /**
   * How an API key is sent: `authorization` = `Authorization: ApiKey <key>` (what every upstream
   * implementation sends); `x-api-key` = `X-API-Key: <key>` (what the OpenAPI file describes).
   * @default 'authorization'
   */
  apiKeyHeader?: 'authorization' | 'x-api-key';
  /**
   * On a 401 from the API with OAuth, drop the cached token, fetch a new one and send the call once
   * more. Upstream has no refresh.
   * @default true
   */
  refreshTokenOn401?: boolean;
  /**
   * Treat any 2xx as success; upstream accepts exactly 200.
   * @default false
   */
  acceptAny2xx?: boolean;
  /**
   * Largest response body read, in bytes.
   * @default 1048576
   */
  maxResponseBytes?: number;
  /** @default silentLogger */
  logger?: CrestaLogger;
  /** Random source for backoff jitter. @default Math.random */
  random?: () => number;
}

/** Per-call options of {@link CrestaClient} methods. */
export interface CallOptions {
  /** Overall deadline of this call, token request and retries included. @default none */
  deadline?: Deadline;
  /** Aborts the call. */
  signal?: AbortSignal;
}

/** Input of {@link CrestaClient.generatePstnTransferData}. */
export interface GeneratePstnTransferDataInput extends PstnTransferInput {
  readonly virtualAgent: VirtualAgentName;
}

/** Input of {@link CrestaClient.fetchAiAgentHandoff}. */
export interface FetchAiAgentHandoffInput {
  readonly customer: string;
  readonly profile: string;
  /** The Connect ContactId. */
  readonly correlationId: string;
}

/** `http(s)://host[:port][/]`: no user information (`user:password@`), path, query or fragment. */
const ORIGIN = /^https?:\/\/[^/?#@\\\s]+\/?$/;
const origin = z
  .string()
  .check(z.regex(ORIGIN, 'must be an http(s) origin without credentials, path, query or fragment'));

const optionsSchema = z.object({
  apiBase: origin,
  authBase: z.optional(origin),
  auth: z.discriminatedUnion('kind', [
    z.object({
      kind: z.literal('oauth'),
      clientId: z.string().check(z.minLength(1)),
      clientSecret: z.string().check(z.minLength(1)),
    }),
    z.object({
      kind: z.literal('apiKey'),
      apiKey: z
        .string()
        .check(
          z.regex(
            HEADER_TOKEN,
            'must be non-empty visible ASCII (no spaces or control characters)',
          ),
        ),
    }),
  ]),
  // The fields are checked after merging with the defaults, by retryPolicyProblem.
  retry: z.optional(z.object({})),
  apiKeyHeader: z.optional(z.enum(['authorization', 'x-api-key'])),
  maxResponseBytes: z.optional(z.number().check(z.positive())),
});

const DEFAULT_MAX_RESPONSE_BYTES = 1_048_576;

interface AuthState {
  /** A token fetched during this call that was too short-lived to cache. */
  uncached?: { token: string; validUntil: number } | undefined;
}

/**
 * Client of Cresta's virtual-agent PSTN transfer and AI-agent handoff API.
 *
 * OAuth tokens are fetched with the client-credentials grant, cached in the shared
 * {@link TokenCache} until shortly before they expire, and refreshed once when the API answers 401.
 * Every request is retried on network errors, timeouts, 408, 429 and 5xx with exponential backoff
 * and jitter, honouring `Retry-After`, within the call's overall deadline.
 *
 * @example
 * ```ts
 * const client = new CrestaClient({
 *   apiBase: 'https://api.us-west-2-prod.cresta.com',
 *   authBase: 'https://auth.us-west-2-prod.cresta.ai',
 *   auth: { kind: 'oauth', clientId, clientSecret },
 *   tokenCache,
 * });
 * const data = await client.generatePstnTransferData(input, { deadline: Deadline.after(2500) });
 * ```
 */
export class CrestaClient {
  readonly #apiBase: string;
  readonly #authBase: string | undefined;
  readonly #auth: CrestaAuth;
  readonly #transport: HttpTransport;
  readonly #ownsTransport: boolean;
  readonly #tokenCache: TokenCache;
  readonly #retry: RetryPolicy;
  readonly #apiKeyHeader: 'authorization' | 'x-api-key';
  readonly #refreshOn401: boolean;
  readonly #acceptAny2xx: boolean;
  readonly #maxResponseBytes: number;
  readonly #logger: CrestaLogger;
  readonly #random: () => number;

  constructor(options: CrestaClientOptions) {
    const parsed = optionsSchema.safeParse(options);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new CrestaError(
        CrestaErrorCode.InvalidOptions,
        `invalid CrestaClient options: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? ''}`,
      );
    }
    if (options.auth.kind === 'oauth' && options.authBase === undefined) {
      throw new CrestaError(
        CrestaErrorCode.InvalidOptions,
        'invalid CrestaClient options: authBase is required for OAuth',
      );
    }
    this.#apiBase = options.apiBase;
    this.#authBase = options.authBase;
    this.#auth = options.auth;
    this.#ownsTransport = options.transport === undefined;
    this.#transport = options.transport ?? new NodeHttpTransport();
    this.#tokenCache = options.tokenCache ?? new TokenCache();
    this.#retry = { ...DEFAULT_RETRY_POLICY, ...definedOnly(options.retry ?? {}) };
    const retryProblem = retryPolicyProblem(this.#retry);
    if (retryProblem !== undefined) {
      throw new CrestaError(
        CrestaErrorCode.InvalidOptions,
        `invalid CrestaClient options: retry.${retryProblem.field}: ${retryProblem.message}`,
        { field: `retry.${retryProblem.field}` },
      );
    }
    this.#apiKeyHeader = options.apiKeyHeader ?? 'authorization';
    this.#refreshOn401 = options.refreshTokenOn401 ?? true;
    this.#acceptAny2xx = options.acceptAny2xx ?? false;
    this.#maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.#logger = options.logger ?? silentLogger;
    this.#random = options.random ?? Math.random;
  }

  /**
   * `POST {apiBase}/v1/customers/{c}/profiles/{p}/virtualAgents/{va}:generatePSTNTransferData`.
   *
   * @returns the response JSON object unchanged (normally `{phoneNumber, dtmfSequence}`).
   * @throws {@link CrestaError} on any failure; see the README's error table. A 200 whose body is
   *   not a JSON object (an array, string, number, boolean or `null`, which Amazon Connect cannot
   *   take as a Lambda result) is `CRESTA_ERR_INVALID_RESPONSE` naming the endpoint.
   */
  async generatePstnTransferData(
    input: GeneratePstnTransferDataInput,
    call: CallOptions = {},
  ): Promise<Record<string, unknown>> {
    const { customer, profile, virtualAgentId } = input.virtualAgent;
    const url = `${this.#apiBase}/v1/customers/${customer}/profiles/${profile}/virtualAgents/${virtualAgentId}:generatePSTNTransferData`;
    const { status, body } = await this.#postJson(url, buildPstnTransferRequest(input), call);
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      const kind = body === null ? 'null' : Array.isArray(body) ? 'array' : typeof body;
      throw new CrestaError(
        CrestaErrorCode.InvalidResponse,
        `invalid response from generatePSTNTransferData (${urlForMessage(url)}): the body is a JSON ${kind}, not an object`,
        { status },
      );
    }
    return body as Record<string, unknown>;
  }

  /**
   * `POST {apiBase}/v1/customers/{c}/profiles/{p}/handoffs:fetchAIAgentHandoff` with body
   * `{"correlationId": <ContactId>}`.
   *
   * @returns the validated handoff (see `handoffToConnect` for the Connect mapping).
   * @throws {@link CrestaError} on any failure, including `CRESTA_ERR_INVALID_RESPONSE`.
   */
  async fetchAiAgentHandoff(
    input: FetchAiAgentHandoffInput,
    call: CallOptions = {},
  ): Promise<AiAgentHandoff> {
    const url = `${this.#apiBase}/v1/customers/${input.customer}/profiles/${input.profile}/handoffs:fetchAIAgentHandoff`;
    const { body, text } = await this.#postJson(url, { correlationId: input.correlationId }, call);
    return parseHandoffResponse(body, text);
  }

  /** Releases the keep-alive connections of a transport this client created itself. */
  close(): void {
    if (this.#ownsTransport) this.#transport.close();
  }

  async #postJson(
    url: string,
    payload: unknown,
    call: CallOptions,
  ): Promise<{ status: number; body: unknown; text: string }> {
    const deadline = call.deadline ?? Deadline.none();
    const json = JSON.stringify(payload);
    const shownUrl = urlForMessage(url);
    this.#logger.debug(`Sending request to ${shownUrl}`, {
      url: shownUrl,
      bytes: Buffer.byteLength(json),
    });
    const state: AuthState = {};
    let response = await this.#send(url, json, deadline, call.signal, state);
    if (response.status === 401 && this.#auth.kind === 'oauth' && this.#refreshOn401) {
      this.#logger.info('API answered 401; fetching a new OAuth token and retrying once', {
        url: shownUrl,
      });
      this.#invalidateToken(state);
      response = await this.#send(url, json, deadline, call.signal, state, true);
    }
    const ok = this.#acceptAny2xx
      ? response.status >= 200 && response.status < 300
      : response.status === 200;
    if (!ok) {
      throw new CrestaError(
        CrestaErrorCode.HttpStatus,
        `request returned non-200 status: ${response.status}, body: ${truncateForError(response.body)}`,
        { status: response.status },
      );
    }
    this.#logger.debug('Received response', { url: shownUrl, status: response.status });
    try {
      const body = JSON.parse(response.body) as unknown;
      return { status: response.status, body, text: response.body };
    } catch (err) {
      throw new CrestaError(
        CrestaErrorCode.InvalidResponse,
        `failed to parse JSON response from ${shownUrl}: ${messageOf(err)}`,
        { cause: err, status: response.status },
      );
    }
  }

  #send(
    url: string,
    json: string,
    deadline: Deadline,
    signal: AbortSignal | undefined,
    state: AuthState,
    forceRefresh = false,
  ): Promise<HttpResponse> {
    let refresh = forceRefresh;
    const prepare = async (): Promise<AttemptRequest> => {
      const authHeader = await this.#authHeader(deadline, signal, state, refresh);
      refresh = false;
      return {
        method: 'POST',
        url,
        headers: { 'content-type': 'application/json', accept: 'application/json', ...authHeader },
        body: json,
        maxResponseBytes: this.#maxResponseBytes,
      };
    };
    return sendWithRetry(this.#transport, prepare, this.#retry, {
      deadline,
      logger: this.#logger,
      random: this.#random,
      ...(signal === undefined ? {} : { signal }),
    });
  }

  async #authHeader(
    deadline: Deadline,
    signal: AbortSignal | undefined,
    state: AuthState,
    forceRefresh: boolean,
  ): Promise<Record<string, string>> {
    const auth = this.#auth;
    if (auth.kind === 'apiKey') {
      return this.#apiKeyHeader === 'x-api-key'
        ? { 'x-api-key': auth.apiKey }
        : { authorization: `ApiKey ${auth.apiKey}` };
    }
    const authBase = this.#authBase as string;
    if (!forceRefresh) {
      const cached = this.#tokenCache.get(authBase, auth.clientId, auth.clientSecret);
      if (cached !== undefined) return { authorization: `Bearer ${cached}` };
      if (state.uncached !== undefined && Date.now() < state.uncached.validUntil) {
        return { authorization: `Bearer ${state.uncached.token}` };
      }
    }
    const token = await this.#fetchToken(
      authBase,
      auth.clientId,
      auth.clientSecret,
      deadline,
      signal,
    );
    const cached = this.#tokenCache.store(
      authBase,
      auth.clientId,
      token.accessToken,
      token.expiresIn,
      auth.clientSecret,
    );
    state.uncached = cached
      ? undefined
      : {
          token: token.accessToken,
          validUntil: Date.now() + Math.max(0, (token.expiresIn ?? 0) * 1000),
        };
    return { authorization: `Bearer ${token.accessToken}` };
  }

  #invalidateToken(state: AuthState): void {
    if (this.#auth.kind !== 'oauth') return;
    this.#tokenCache.invalidate(this.#authBase as string, this.#auth.clientId);
    state.uncached = undefined;
  }

  async #fetchToken(
    authBase: string,
    clientId: string,
    clientSecret: string,
    deadline: Deadline,
    signal: AbortSignal | undefined,
  ): Promise<{ accessToken: string; expiresIn: number | undefined }> {
    const url = `${authBase}/v1/oauth/regionalToken`;
    const basic = Buffer.from(`${clientId}:${clientSecret}`, 'utf8').toString('base64');
    const shownUrl = urlForMessage(url);
    this.#logger.debug(`Fetching OAuth token from ${shownUrl}`, { url: shownUrl });
    let response: HttpResponse;
    try {
      response = await sendWithRetry(
        this.#transport,
        async () => ({
          method: 'POST',
          url,
          headers: {
            'content-type': 'application/json',
            accept: 'application/json',
            authorization: `Basic ${basic}`,
          },
          body: '{"grant_type":"client_credentials"}',
          maxResponseBytes: this.#maxResponseBytes,
        }),
        this.#retry,
        {
          deadline,
          logger: this.#logger,
          random: this.#random,
          ...(signal === undefined ? {} : { signal }),
        },
      );
    } catch (err) {
      throw authHeaderError(err);
    }
    try {
      return readTokenResponse(response.status, response.body);
    } catch (err) {
      throw authHeaderError(err);
    }
  }
}

/** Wraps a token failure the way upstream reports it: `error getting auth header: <inner>`. */
function authHeaderError(err: unknown): CrestaError {
  const code = err instanceof CrestaError ? err.code : CrestaErrorCode.Token;
  const options =
    err instanceof CrestaError
      ? {
          cause: err,
          ...(err.status === undefined ? {} : { status: err.status }),
          ...(err.attempts === undefined ? {} : { attempts: err.attempts }),
        }
      : { cause: err };
  return new CrestaError(code, `error getting auth header: ${messageOf(err)}`, options);
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
