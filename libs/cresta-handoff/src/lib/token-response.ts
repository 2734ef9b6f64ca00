/**
 * Reading the OAuth token endpoint's answer. Its body may hold an access token, so no message this
 * module makes ever quotes it: errors describe the body's shape only.
 */
import { CrestaError, CrestaErrorCode } from './errors';

/**
 * A credential that goes into an HTTP header as is (`Authorization: Bearer <token>`,
 * `Authorization: ApiKey <key>`, `X-API-Key: <key>`): visible ASCII only, so no space, CR, LF or
 * character outside ASCII, which `node:http` would refuse and which could inject a header.
 */
export const HEADER_TOKEN = /^[\x21-\x7e]+$/;

/** RFC 6749 §5.2 error codes: fixed words, safe to repeat from a token error response. */
const OAUTH_ERROR_CODES: ReadonlySet<string> = new Set([
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
]);

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

function kindOf(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

/**
 * The shape of a token response body, never its content. Only a standard OAuth error code
 * (`invalid_client`, …) is repeated, and whether an `access_token` is present.
 *
 * @example
 * ```ts
 * describeTokenBody('{"error":"invalid_client"}'); // 'JSON object (26 bytes), OAuth error invalid_client'
 * describeTokenBody('access_token=abc'); // 'not JSON (16 bytes)'
 * ```
 */
export function describeTokenBody(text: string): string {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes === 0) return 'empty';
  const parsed = parseJson(text);
  if (!parsed.ok) return `not JSON (${bytes} bytes)`;
  const value = parsed.value;
  if (kindOf(value) !== 'object') return `JSON ${kindOf(value)} (${bytes} bytes)`;
  const record = value as Record<string, unknown>;
  const parts = [`JSON object (${bytes} bytes)`];
  const error = record['error'];
  if (typeof error === 'string' && OAUTH_ERROR_CODES.has(error)) parts.push(`OAuth error ${error}`);
  if (Object.prototype.hasOwnProperty.call(record, 'access_token')) {
    parts.push('with an access_token (not shown)');
  }
  return parts.join(', ');
}

/**
 * Checks a token endpoint answer and takes the token out of it.
 *
 * @throws {@link CrestaError} `CRESTA_ERR_TOKEN` with `token request returned non-200 status:
 *   <code>, body: <shape>`, `failed to parse token response: <shape>`, `missing access_token in
 *   token response` or `invalid access_token in token response: …` (a token that is not visible
 *   ASCII); none of them quotes the body or the token.
 */
export function readTokenResponse(
  status: number,
  text: string,
): { accessToken: string; expiresIn: number | undefined } {
  if (status !== 200) {
    throw new CrestaError(
      CrestaErrorCode.Token,
      `token request returned non-200 status: ${status}, body: ${describeTokenBody(text)}`,
      { status },
    );
  }
  const parsed = parseJson(text);
  if (!parsed.ok) {
    throw new CrestaError(
      CrestaErrorCode.Token,
      `failed to parse token response: ${describeTokenBody(text)}`,
    );
  }
  const record =
    parsed.value !== null && typeof parsed.value === 'object'
      ? (parsed.value as Record<string, unknown>)
      : {};
  const accessToken = record['access_token'];
  if (typeof accessToken !== 'string' || accessToken.length === 0) {
    throw new CrestaError(CrestaErrorCode.Token, 'missing access_token in token response');
  }
  if (!HEADER_TOKEN.test(accessToken)) {
    throw new CrestaError(
      CrestaErrorCode.Token,
      `invalid access_token in token response: ${accessToken.length} characters, not all visible ASCII`,
    );
  }
  const expiresIn = record['expires_in'];
  return { accessToken, expiresIn: typeof expiresIn === 'number' ? expiresIn : undefined };
}
