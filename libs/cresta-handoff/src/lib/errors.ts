/**
 * Stable, machine-readable codes of every error `@org/cresta-handoff` throws. A code is never
 * reused for a different meaning once released.
 */
export const CrestaErrorCode = {
  /**
   * Options passed to a constructor or function failed validation (a programming error): a base
   * URL with credentials, an apiKey that cannot go into a header, a retry setting out of range, a
   * `NaN` deadline, a duration longer than 2^31 − 1 ms.
   */
  InvalidOptions: 'CRESTA_ERR_INVALID_OPTIONS',
  /**
   * The invocation configuration (action, region, domains, virtual agent name, credentials) failed
   * one of the validation rules; the message is the upstream Lambda's message for that rule.
   */
  Validation: 'CRESTA_ERR_VALIDATION',
  /** Loading OAuth credentials from Secrets Manager failed (bad ARN, bad secret, SDK failure). */
  Secret: 'CRESTA_ERR_SECRET',
  /** The OAuth token endpoint refused, failed or answered without a usable `access_token`. */
  Token: 'CRESTA_ERR_TOKEN',
  /** The API answered with a final status that is not a success (after any retries). */
  HttpStatus: 'CRESTA_ERR_HTTP_STATUS',
  /** Every attempt failed with a retryable error; `attempts` says how many were made. */
  RetriesExhausted: 'CRESTA_ERR_RETRIES_EXHAUSTED',
  /** The overall deadline ran out before a request could succeed. */
  DeadlineExceeded: 'CRESTA_ERR_DEADLINE_EXCEEDED',
  /** One attempt took longer than the per-attempt timeout (retryable). */
  Timeout: 'CRESTA_ERR_TIMEOUT',
  /**
   * The connection failed: refused, reset, DNS, TLS (retryable); or `node:http` refused to build the
   * request, e.g. for a header value with CR/LF (not retryable).
   */
  Network: 'CRESTA_ERR_NETWORK',
  /** The caller aborted the request through its `AbortSignal` (never retried). */
  Aborted: 'CRESTA_ERR_ABORTED',
  /** A response body could not be parsed or does not have the documented structure. */
  InvalidResponse: 'CRESTA_ERR_INVALID_RESPONSE',
  /** A response body or a flattened Connect response is larger than the configured limit. */
  ResponseTooLarge: 'CRESTA_ERR_RESPONSE_TOO_LARGE',
  /** Flattening would give two different values the same Connect key. */
  FlattenKeyCollision: 'CRESTA_ERR_FLATTEN_KEY_COLLISION',
  /** Flattening met a value that cannot become a Connect key/value (e.g. too deep, bare scalar). */
  FlattenUnsupported: 'CRESTA_ERR_FLATTEN_UNSUPPORTED',
} as const;

/** One of the {@link CrestaErrorCode} values. */
export type CrestaErrorCode = (typeof CrestaErrorCode)[keyof typeof CrestaErrorCode];

/** Options of {@link CrestaError}. */
export interface CrestaErrorOptions extends ErrorOptions {
  /** The final HTTP status, for {@link CrestaErrorCode.HttpStatus} and token errors. */
  status?: number;
  /** How many HTTP attempts were made, for retry and deadline errors. */
  attempts?: number;
  /** Whether this single failure may be retried (network errors, timeouts, 408/429/5xx). */
  retryable?: boolean;
  /** The configuration key or field the error is about, for validation errors. */
  field?: string;
}

/**
 * The one error class of `@org/cresta-handoff`. Every failure carries a stable
 * {@link CrestaErrorCode}; the message is the upstream Lambda's message where one exists, so
 * logs and alarms written for the upstream Lambda keep matching.
 *
 * @example
 * ```ts
 * try {
 *   await client.generatePstnTransferData(request);
 * } catch (err) {
 *   if (err instanceof CrestaError && err.code === CrestaErrorCode.DeadlineExceeded) {
 *     // take the flow's fallback path
 *   }
 * }
 * ```
 */
export class CrestaError extends Error {
  override readonly name = 'CrestaError';
  /** Stable machine-readable code. */
  readonly code: CrestaErrorCode;
  /** Final HTTP status, when the error is about one. */
  readonly status: number | undefined;
  /** Number of HTTP attempts made, when the error ends a retry loop. */
  readonly attempts: number | undefined;
  /** Whether the failure of this single attempt may be retried. */
  readonly retryable: boolean;
  /** The configuration key the error is about, for validation errors. */
  readonly field: string | undefined;

  constructor(code: CrestaErrorCode, message: string, options: CrestaErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status;
    this.attempts = options.attempts;
    this.retryable = options.retryable ?? false;
    this.field = options.field;
  }
}

/** Longest piece of input an error message repeats. */
export const MAX_QUOTED_CHARS = 128;

/**
 * A caller-supplied value as an error message repeats it: cut to {@link MAX_QUOTED_CHARS}
 * characters with `…`, so a 10 KB parameter cannot make a 10 KB error and log line.
 */
export function clip(value: string): string {
  return value.length > MAX_QUOTED_CHARS ? `${value.slice(0, MAX_QUOTED_CHARS)}…` : value;
}

/** Creates a {@link CrestaErrorCode.Validation} error with the given upstream message. */
export function validationError(message: string, field?: string): CrestaError {
  return new CrestaError(CrestaErrorCode.Validation, message, field === undefined ? {} : { field });
}

/** The message of any thrown value, for wrapping it in another message. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Most characters of a response body quoted in an error message (and so in logs). */
export const MAX_ERROR_BODY_CHARS = 1024;

/**
 * `text` cut to {@link MAX_ERROR_BODY_CHARS} (with `…`), for quoting what the API sent in an
 * error: a response can be up to `maxResponseBytes` long and hold conversation summaries.
 *
 * @example
 * ```ts
 * truncateForError('x'.repeat(5000)).length; // 1025
 * ```
 */
export function truncateForError(text: string): string {
  return text.length > MAX_ERROR_BODY_CHARS ? `${text.slice(0, MAX_ERROR_BODY_CHARS)}…` : text;
}

/**
 * `text` with any user information (`user:password@`) of its authority replaced by `***@`, for
 * quoting a URL-like value that may not parse: a password must never reach a message or a log.
 *
 * @example
 * ```ts
 * redactUserinfo('https://svc:hunter2@api.example.com'); // 'https://***@api.example.com'
 * ```
 */
export function redactUserinfo(text: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(text)?.[0] ?? '';
  const rest = text.slice(scheme.length);
  const end = rest.search(/[/?#\\]/);
  const authority = end < 0 ? rest : rest.slice(0, end);
  const at = authority.lastIndexOf('@');
  return at < 0 ? text : `${scheme}***@${rest.slice(at + 1)}`;
}

/**
 * A URL as the library logs and quotes it: origin and path only, never user information, query or
 * fragment. A value that does not parse is quoted with {@link redactUserinfo} and {@link clip}.
 *
 * @example
 * ```ts
 * urlForMessage('http://u:p@127.0.0.1:8080/v1/x?key=1'); // 'http://127.0.0.1:8080/v1/x'
 * ```
 */
export function urlForMessage(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return clip(redactUserinfo(url));
  }
}
