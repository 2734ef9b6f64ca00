// HTTP message signatures of the AudioHook upgrade request (spec §4, §5): building the signature
// base, signing (client side) and verifying (server side) with HMAC-SHA256. RFC 8941 structured
// fields are parsed and serialized by `structured-headers`.

import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  type BareItem,
  type InnerList,
  type Item,
  type Parameters,
  parseDictionary,
  serializeInnerList,
  serializeString,
} from 'structured-headers';
import { type Clock, systemClock } from './clock';
import { AudioHookError, AudioHookErrorCode } from './errors';

/** The components the AudioHook client signs, in order (spec §4.2). */
export const AUDIOHOOK_SIGNED_COMPONENTS = [
  '@request-target',
  '@authority',
  'audiohook-organization-id',
  'audiohook-session-id',
  'audiohook-correlation-id',
  'x-api-key',
] as const;

/**
 * Result codes of a verification (spec §4.3), plus `UNAVAILABLE`: the signature was valid but the
 * replay store could not record its nonce, so the request is refused (fail closed).
 */
export const SIGNATURE_RESULT_CODES = [
  'VERIFIED',
  'FAILED',
  'UNSIGNED',
  'EXPIRED',
  'INVALID',
  'PRECONDITION',
  'UNSUPPORTED',
  'UNAVAILABLE',
] as const;
/** A verification result code. */
export type SignatureResultCode = (typeof SIGNATURE_RESULT_CODES)[number];

/** What {@link verifySignature} concluded. */
export interface SignatureVerification {
  /** The result code. */
  readonly code: SignatureResultCode;
  /** True when the request may proceed (`VERIFIED`). */
  readonly ok: boolean;
  /** Why, in words (safe to log: it never contains secrets or signatures). */
  readonly reason: string;
  /** False when the request carried no signature (accepted only for keys without a secret). */
  readonly signed: boolean;
  /** The signature label used (`sig1`). */
  readonly label?: string;
  /** The `keyid` parameter. */
  readonly keyid?: string;
  /** The `created` parameter (UNIX seconds). */
  readonly created?: number;
  /** The `expires` parameter (UNIX seconds). */
  readonly expires?: number;
  /**
   * With `UNAVAILABLE` only: the store failure, an {@link AudioHookError} with code
   * `AUDIOHOOK_ERR_NONCE_STORE` whose `cause` is what the store threw (log and count it).
   */
  readonly error?: AudioHookError;
}

/** A header map as Node's `IncomingMessage.headers` has it (names in any case). */
export type RequestHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/** The parts of the upgrade request the verifier needs. */
export interface SignedRequest {
  /** The raw request URL: path plus `?query` (the `@request-target`). */
  readonly url: string;
  /** The request headers. */
  readonly headers: RequestHeaders;
}

/**
 * The client secret of an API key: base64 text (as configured in Genesys) or the decoded bytes.
 * `''` or `null`: the key is known and has no secret. `undefined`: the key is unknown.
 */
export type SecretLookupResult = string | Uint8Array | null | undefined;

/** Options shared by {@link verifySignature} and {@link verifySignatureSync}. */
export interface VerifySignatureBaseOptions {
  /** Time source. @default systemClock */
  readonly clock?: Clock;
  /** Largest signature age in seconds. @default 10 */
  readonly maxAgeSeconds?: number;
  /** Tolerated clock difference in seconds. @default 3 */
  readonly clockSkewSeconds?: number;
  /**
   * `tolerant`: skew widens the window (`created ≤ now + skew`, `expires ≥ now − skew`,
   * `now − created ≤ maxAge + skew`). `reference`: the reference's tightening checks
   * (`expires ≥ now + skew`, `created + maxAge ≥ now + skew`; effective max age 7 s).
   * @default 'tolerant'
   */
  readonly timeMode?: 'tolerant' | 'reference';
  /** Require a `nonce` parameter. @default true */
  readonly requireNonce?: boolean;
  /** Shortest accepted nonce. @default 22 */
  readonly minNonceLength?: number;
  /** Components a signature must cover. @default AUDIOHOOK_SIGNED_COMPONENTS */
  readonly requiredComponents?: readonly string[];
  /** Require `keyid` to equal the `X-API-KEY` header. @default true */
  readonly requireKeyIdMatchesApiKey?: boolean;
  /**
   * Unsigned requests: `no-secret` accepts them only for a known key without a secret (the
   * reference's rule), `never` rejects them, `always` accepts them whatever the key.
   * @default 'no-secret'
   */
  readonly allowUnsigned?: 'no-secret' | 'never' | 'always';
  /** `@authority` to use instead of the `Host` header (e.g. behind a proxy). */
  readonly authority?: string;
}

/** Options of {@link verifySignature}. */
export interface VerifySignatureOptions extends VerifySignatureBaseOptions {
  /** Finds the client secret of an API key (may be async, e.g. a secrets manager). */
  readonly resolveSecret: (apiKey: string) => SecretLookupResult | Promise<SecretLookupResult>;
  /**
   * Replay protection: the nonce of every valid signature is claimed here, and a nonce claimed
   * before (within its lifetime) is refused with `PRECONDITION`. A {@link NonceCache} for one
   * process, or a shared store (e.g. a conditional write to DynamoDB) for several. @default none
   */
  readonly nonceStore?: NonceStore;
  /** @deprecated The former name of `nonceStore`; used when `nonceStore` is absent. */
  readonly nonceCache?: NonceStore;
}

/** Options of {@link verifySignatureSync}. */
export interface VerifySignatureSyncOptions extends VerifySignatureBaseOptions {
  /** Finds the client secret of an API key. */
  readonly resolveSecret: (apiKey: string) => SecretLookupResult;
  /** As in {@link VerifySignatureOptions}, with a store that answers synchronously. @default none */
  readonly nonceStore?: SyncNonceStore;
  /** @deprecated The former name of `nonceStore`; used when `nonceStore` is absent. */
  readonly nonceCache?: SyncNonceStore;
}

const DERIVED_UNRESOLVED = new Set([
  '@method',
  '@scheme',
  '@target-uri',
  '@path',
  '@query',
  '@status',
]);
const COMPONENT_PARAMETERS = new Set(['sf', 'bs', 'req', 'key', 'name', 'tr']);
const SIGNATURE_PARAMETERS = new Set(['alg', 'created', 'expires', 'keyid', 'nonce']);

/**
 * Canonicalizes a header value: joins repeats with `, `, unfolds, trims (RFC 9421 §2.1).
 *
 * @example
 * ```ts
 * canonicalHeaderValue([' a ', 'b']); // 'a, b'
 * ```
 */
export function canonicalHeaderValue(value: string | readonly string[]): string {
  const values = typeof value === 'string' ? [value] : value;
  return values.map((v) => v.replace(/\r\n[ \t]+/g, ' ').trim()).join(', ');
}

function headerLookup(headers: RequestHeaders): (name: string) => string | undefined {
  const lower = new Map<string, string | readonly string[]>();
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const key = name.toLowerCase();
    const existing = lower.get(key);
    if (existing === undefined) lower.set(key, value);
    else
      lower.set(key, [
        ...(typeof existing === 'string' ? [existing] : existing),
        ...(typeof value === 'string' ? [value] : value),
      ]);
  }
  return (name) => {
    const value = lower.get(name);
    return value === undefined ? undefined : canonicalHeaderValue(value);
  };
}

/**
 * Builds the signature base (spec §4.2) for the given component values and signature
 * parameters, both in order. Returns the base and the serialized inner list that goes into
 * `Signature-Input` after `<label>=`.
 *
 * @throws AudioHookError `AUDIOHOOK_ERR_SIGNATURE_BUILD` for values RFC 8941 cannot carry.
 *
 * @example
 * ```ts
 * const { base, signatureParams } = createSignatureBase(
 *   [['@authority', 'example.com']],
 *   [['created', 1618884473], ['keyid', 'test-shared-secret']],
 * );
 * ```
 */
export function createSignatureBase(
  components: readonly (readonly [name: string, value: string])[],
  parameters: readonly (readonly [name: string, value: string | number])[],
): { base: string; signatureParams: string } {
  try {
    const list: InnerList = [
      components.map(([name]): Item => [name, new Map()]),
      new Map<string, BareItem>(parameters.map(([k, v]) => [k, v])),
    ];
    return baseFromInnerList(
      list,
      components.map(([, value]) => value),
    );
  } catch (cause) {
    if (cause instanceof AudioHookError) throw cause;
    throw new AudioHookError(
      AudioHookErrorCode.SignatureBuild,
      'cannot serialize the signature parameters',
      { cause },
    );
  }
}

function baseFromInnerList(
  list: InnerList,
  values: readonly string[],
): { base: string; signatureParams: string } {
  const signatureParams = serializeInnerList(list);
  const lines = list[0].map(
    ([name], i) => `${serializeString(name as string)}: ${values[i] ?? ''}`,
  );
  lines.push(`"@signature-params": ${signatureParams}`);
  return { base: lines.join('\n'), signatureParams };
}

/**
 * Decodes a base64 client secret (or passes bytes through).
 *
 * @example
 * ```ts
 * decodeSecret('TXlTdXBlclNlY3JldEtleVRlbGxOby0xITJAMyM0JDU='); // 32 bytes
 * ```
 */
export function decodeSecret(secret: string | Uint8Array): Uint8Array {
  if (typeof secret !== 'string') return secret;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(secret) || secret.length % 4 === 1) {
    throw new AudioHookError(
      AudioHookErrorCode.SignatureBuild,
      'the client secret is not valid base64',
    );
  }
  return Buffer.from(secret, 'base64');
}

/**
 * HMAC-SHA256 of the UTF-8 signature base.
 *
 * @example
 * ```ts
 * hmacSha256(decodeSecret(secret), base).toString('base64');
 * ```
 */
export function hmacSha256(key: Uint8Array, base: string): Buffer {
  return createHmac('sha256', key).update(base, 'utf8').digest();
}

/** Options of {@link signRequest}. */
export interface SignRequestOptions {
  /** Path plus `?query` of the request. */
  readonly requestTarget: string;
  /** `host[:port]` as sent in `Host`. */
  readonly authority: string;
  /** Values of the covered headers, by lower-case name. */
  readonly headers: Readonly<Record<string, string>>;
  /** `keyid` (the API key). */
  readonly keyid: string;
  /** Client secret: base64 text or the decoded bytes. */
  readonly secret: string | Uint8Array;
  /** Components to cover, in order. @default AUDIOHOOK_SIGNED_COMPONENTS */
  readonly components?: readonly string[];
  /** Nonce. @default 18 random bytes as base64 (24 characters) */
  readonly nonce?: string;
  /** `created` in UNIX seconds. @default now */
  readonly created?: number;
  /** Seconds from `created` to `expires`; `null` leaves `expires` out. @default 30 */
  readonly expiresIn?: number | null;
  /** Signature label. @default 'sig1' */
  readonly label?: string;
  /** Time source for the default `created`. @default systemClock */
  readonly clock?: Clock;
}

/** Headers produced by {@link signRequest}. */
export interface SignatureHeaders {
  /** Value of `Signature-Input`. */
  readonly signatureInput: string;
  /** Value of `Signature`. */
  readonly signature: string;
  /** The signature base that was signed (for debugging; contains no secret). */
  readonly base: string;
}

/**
 * Signs an upgrade request the way the AudioHook client does (parameters `keyid`, `nonce`,
 * `alg`, `created`, `expires`, in that order).
 *
 * @example
 * ```ts
 * const { signatureInput, signature } = signRequest({
 *   requestTarget: '/api/v1/audiohook/ws', authority: 'audiohook.example.com',
 *   headers: { 'audiohook-organization-id': org, 'audiohook-session-id': id,
 *              'audiohook-correlation-id': correlation, 'x-api-key': apiKey },
 *   keyid: apiKey, secret: clientSecretBase64,
 * });
 * ```
 */
export function signRequest(options: SignRequestOptions): SignatureHeaders {
  const components = options.components ?? AUDIOHOOK_SIGNED_COMPONENTS;
  const values = components.map((name): [string, string] => {
    if (name === '@request-target') return [name, options.requestTarget];
    if (name === '@authority') return [name, options.authority];
    const value = options.headers[name];
    if (value === undefined) {
      throw new AudioHookError(
        AudioHookErrorCode.SignatureBuild,
        `no value for covered component ${name}`,
      );
    }
    return [name, canonicalHeaderValue(value)];
  });
  const created = options.created ?? Math.floor((options.clock ?? systemClock).now() / 1000);
  const expiresIn = options.expiresIn === undefined ? 30 : options.expiresIn;
  const parameters: [string, string | number][] = [
    ['keyid', options.keyid],
    ['nonce', options.nonce ?? randomBytes(18).toString('base64')],
    ['alg', 'hmac-sha256'],
    ['created', created],
  ];
  if (expiresIn !== null) parameters.push(['expires', created + expiresIn]);
  const { base, signatureParams } = createSignatureBase(values, parameters);
  const mac = hmacSha256(decodeSecret(options.secret), base);
  const label = options.label ?? 'sig1';
  return {
    signatureInput: `${label}=${signatureParams}`,
    signature: `${label}=:${mac.toString('base64')}:`,
    base,
  };
}

/**
 * Where verified nonces are claimed, so a captured upgrade request cannot be replayed. Several
 * server instances behind one load balancer must share one store, or a request replayed to
 * another instance is accepted.
 *
 * `claim(key, expiresAtMs, nowMs)` is called once per valid signature (never for a request whose
 * signature failed, so unauthenticated clients cannot fill the store) and must:
 * - return `true` for the first claim of `key`, and `false` for every later claim of it until
 *   `expiresAtMs` has passed, **atomically across every instance** sharing the store: of two
 *   concurrent claims of one key exactly one gets `true` (a conditional write, e.g. DynamoDB
 *   `PutItem` with `attribute_not_exists(pk) OR expiresAt < :now`, not a read then a write);
 * - keep the key at least until `expiresAtMs` (it may keep it longer; a TTL that deletes late,
 *   as DynamoDB's does, is fine when the condition compares the stored expiry with `nowMs`);
 * - throw (or reject) when it cannot decide, never answer `true` for lack of an answer: the
 *   verification then fails closed with code `UNAVAILABLE`.
 *
 * `key` is {@link nonceKey}`(keyid, nonce)`: 43 URL-safe base64 characters that identify the
 * pair without revealing the API key, so it can be a partition key as it is.
 *
 * @example
 * ```ts
 * const store: NonceStore = {
 *   claim: async (key, expiresAtMs) => {
 *     try {
 *       await dynamo.send(new PutItemCommand({
 *         TableName, Item: { pk: { S: `nonce#${key}` }, expiresAt: { N: String(Math.ceil(expiresAtMs / 1000)) } },
 *         ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
 *         ExpressionAttributeValues: { ':now': { N: String(Math.floor(Date.now() / 1000)) } },
 *       }));
 *       return true;
 *     } catch (error) {
 *       if (error instanceof ConditionalCheckFailedException) return false;
 *       throw error; // fail closed
 *     }
 *   },
 * };
 * await verifySignature(request, { resolveSecret, nonceStore: store });
 * ```
 */
export interface NonceStore {
  /** Claims `key` until `expiresAtMs`: `true` the first time, `false` while a claim holds. */
  claim(key: string, expiresAtMs: number, nowMs: number): boolean | Promise<boolean>;
}

/**
 * A {@link NonceStore} that answers synchronously (for {@link verifySignatureSync}).
 *
 * @example
 * ```ts
 * const store: SyncNonceStore = new NonceCache();
 * verifySignatureSync(request, { resolveSecret, nonceStore: store });
 * ```
 */
export interface SyncNonceStore extends NonceStore {
  /** As {@link NonceStore.claim}, answered synchronously. */
  claim(key: string, expiresAtMs: number, nowMs: number): boolean;
}

/**
 * The replay-store key of a signature: SHA-256 over the length-prefixed `keyid` and the `nonce`,
 * as unpadded URL-safe base64 (43 characters). The same nonce under two API keys gives two keys;
 * neither the API key nor the nonce can be read back from it.
 *
 * @example
 * ```ts
 * nonceKey('my-api-key', 'VGhpc0lzQVVuaXF1ZU5vbmNl'); // 43 characters, [A-Za-z0-9_-]
 * ```
 */
export function nonceKey(keyid: string, nonce: string): string {
  return createHash('sha256')
    .update(`${keyid.length}:${keyid}\n${nonce}`, 'utf8')
    .digest('base64url');
}

/** Options of {@link NonceCache}. */
export interface NonceCacheOptions {
  /** Most nonces kept; the oldest are evicted first. @default 10000 */
  readonly maxEntries?: number;
}

/**
 * The in-process {@link NonceStore}: remembers claimed keys until they expire, in bounded
 * memory. When full, the oldest entry is evicted. Right for one instance; several instances need
 * a shared store.
 *
 * @example
 * ```ts
 * const nonceStore = new NonceCache({ maxEntries: 50_000 });
 * await verifySignature(request, { resolveSecret, nonceStore });
 * ```
 */
export class NonceCache implements SyncNonceStore {
  readonly maxEntries: number;
  #entries = new Map<string, number>();

  constructor(options: NonceCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 10_000;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) {
      throw new AudioHookError(
        AudioHookErrorCode.InvalidArgument,
        'maxEntries must be a positive integer',
      );
    }
  }

  /** Keys currently kept. */
  get size(): number {
    return this.#entries.size;
  }

  /** True when `key` was recorded and has not expired at `nowMs`. */
  has(key: string, nowMs: number): boolean {
    const expiry = this.#entries.get(key);
    if (expiry === undefined) return false;
    if (expiry < nowMs) {
      this.#entries.delete(key);
      return false;
    }
    return true;
  }

  /** Records `key` until `expiresAtMs` (whether or not it was there). */
  add(key: string, expiresAtMs: number, nowMs: number): void {
    this.#entries.delete(key);
    // Entries are inserted roughly in time order: drop expired ones from the front first.
    for (const [existing, expiry] of this.#entries) {
      if (expiry >= nowMs) break;
      this.#entries.delete(existing);
    }
    while (this.#entries.size >= this.maxEntries) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
    this.#entries.set(key, expiresAtMs);
  }

  /** {@link NonceStore.claim}: records `key` unless it is already there and alive. */
  claim(key: string, expiresAtMs: number, nowMs: number): boolean {
    if (this.has(key, nowMs)) return false;
    this.add(key, expiresAtMs, nowMs);
    return true;
  }
}

/** What a result carries besides its code and reason. */
type ResultMeta = Partial<Omit<SignatureVerification, 'code' | 'ok' | 'reason'>>;

function result(
  code: SignatureResultCode,
  reason: string,
  extra: ResultMeta = {},
): SignatureVerification {
  return { code, ok: code === 'VERIFIED', reason, signed: true, ...extra };
}

/** The nonce of a signature, to be claimed once its MAC matched. */
interface PendingClaim {
  readonly keyid: string;
  readonly nonce: string;
  readonly expiresAtMs: number;
  readonly nowMs: number;
}

type Analysis =
  | { readonly done: SignatureVerification }
  | {
      readonly lookupKey: string | undefined;
      /** Absent for unsigned requests and signatures without a nonce. */
      readonly claim?: PendingClaim;
      readonly meta?: ResultMeta;
      /** The MAC check; never touches the nonce store. */
      readonly finish: (secret: SecretLookupResult) => SignatureVerification;
    };

/** The result when the store answered whether the nonce was new. */
function afterClaim(
  verification: SignatureVerification,
  claimed: unknown,
  meta: ResultMeta | undefined,
): SignatureVerification {
  return claimed === true ? verification : result('PRECONDITION', '"nonce" was already used', meta);
}

/** The result when the store failed: refuse (fail closed), carrying the typed error. */
function storeFailed(cause: unknown, meta: ResultMeta | undefined): SignatureVerification {
  const error = new AudioHookError(
    AudioHookErrorCode.NonceStore,
    'the nonce store failed; the request is refused',
    { cause },
  );
  return result('UNAVAILABLE', 'the replay check could not be made', { ...meta, error });
}

function isArrayBuffer(value: unknown): value is ArrayBuffer {
  return Object.prototype.toString.call(value) === '[object ArrayBuffer]';
}

/** Compares two strings in time that depends only on their lengths (lengths are not secret). */
function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  if (left.length !== right.length) {
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}

function analyze(request: SignedRequest, options: VerifySignatureBaseOptions): Analysis {
  const header = headerLookup(request.headers);
  const inputHeader = header('signature-input');
  const signatureHeader = header('signature');
  const apiKey = header('x-api-key');

  if (inputHeader === undefined && signatureHeader === undefined) {
    const policy = options.allowUnsigned ?? 'no-secret';
    const unsigned = (code: SignatureResultCode, reason: string): SignatureVerification => ({
      code,
      ok: code === 'VERIFIED',
      reason,
      signed: false,
    });
    const missing = 'No "signature" and "signature-input" header fields';
    if (policy === 'always') return { done: unsigned('VERIFIED', 'unsigned request accepted') };
    if (policy === 'never' || apiKey === undefined) return { done: unsigned('UNSIGNED', missing) };
    return {
      lookupKey: apiKey,
      finish: (secret) =>
        secret === '' || secret === null || (secret instanceof Uint8Array && secret.length === 0)
          ? unsigned('VERIFIED', 'unsigned request accepted: the API key has no secret')
          : unsigned('UNSIGNED', missing),
    };
  }
  if (inputHeader === undefined || signatureHeader === undefined) {
    return { done: result('INVALID', 'only one of "signature" and "signature-input" is present') };
  }

  let inputs: Map<string, Item | InnerList>;
  let signatures: Map<string, Item | InnerList>;
  try {
    inputs = parseDictionary(inputHeader);
  } catch {
    return { done: result('INVALID', 'cannot parse the "signature-input" header field') };
  }
  try {
    signatures = parseDictionary(signatureHeader);
  } catch {
    return { done: result('INVALID', 'cannot parse the "signature" header field') };
  }
  const first = inputs.entries().next();
  if (first.done === true) return { done: result('INVALID', 'empty "signature-input"') };
  const [label, entry] = first.value;
  if (!Array.isArray(entry[0])) {
    return { done: result('INVALID', `signature input ${label} is not an inner list`, { label }) };
  }
  const list = entry as InnerList;
  const signatureEntry = signatures.get(label);
  if (signatureEntry === undefined || !isArrayBuffer(signatureEntry[0])) {
    return {
      done: result('INVALID', `no byte-sequence signature labelled ${label}`, { label }),
    };
  }
  const signatureBytes = new Uint8Array(signatureEntry[0] as ArrayBuffer);

  // Signature parameters.
  const params: Parameters = list[1];
  for (const [name, value] of params) {
    if (!SIGNATURE_PARAMETERS.has(name)) {
      return { done: result('INVALID', `unsupported signature parameter "${name}"`, { label }) };
    }
    const numeric = name === 'created' || name === 'expires';
    const valid = numeric
      ? typeof value === 'number' && Number.isInteger(value) && value >= 0
      : typeof value === 'string';
    if (!valid)
      return { done: result('INVALID', `invalid value of parameter "${name}"`, { label }) };
  }
  const keyid = params.get('keyid') as string | undefined;
  const nonce = params.get('nonce') as string | undefined;
  const alg = params.get('alg') as string | undefined;
  const created = params.get('created') as number | undefined;
  const expires = params.get('expires') as number | undefined;
  const meta = {
    label,
    ...(keyid === undefined ? {} : { keyid }),
    ...(created === undefined ? {} : { created }),
    ...(expires === undefined ? {} : { expires }),
  };

  // Covered components.
  const names: string[] = [];
  const values: string[] = [];
  for (const [name, componentParams] of list[0]) {
    if (typeof name !== 'string') {
      return { done: result('INVALID', 'a component identifier is not a string', meta) };
    }
    if (componentParams.size > 0) {
      const known = [...componentParams.keys()].every((k) => COMPONENT_PARAMETERS.has(k));
      return {
        done: result(
          known ? 'UNSUPPORTED' : 'INVALID',
          `component parameters of "${name}" are not supported`,
          meta,
        ),
      };
    }
    if (names.includes(name))
      return { done: result('INVALID', `duplicate component "${name}"`, meta) };
    let value: string | undefined;
    if (name === '@signature-params') {
      return { done: result('INVALID', '"@signature-params" cannot be a covered component', meta) };
    } else if (name === '@query-params' || name === 'signature') {
      return { done: result('UNSUPPORTED', `component "${name}" is not supported`, meta) };
    } else if (name === '@request-target') {
      value = request.url;
    } else if (name === '@authority') {
      value = options.authority ?? header('host');
    } else if (DERIVED_UNRESOLVED.has(name)) {
      value = undefined;
    } else if (name.startsWith('@') || name !== name.toLowerCase() || name.length === 0) {
      return { done: result('INVALID', `invalid component identifier "${name}"`, meta) };
    } else {
      value = header(name);
    }
    if (value === undefined) {
      return { done: result('PRECONDITION', `Cannot resolve reference "${name}"`, meta) };
    }
    names.push(name);
    values.push(value);
  }
  for (const required of options.requiredComponents ?? AUDIOHOOK_SIGNED_COMPONENTS) {
    if (!names.includes(required)) {
      return {
        done: result('PRECONDITION', `required component "${required}" is not covered`, meta),
      };
    }
  }
  if (alg !== undefined && alg !== 'hmac-sha256') {
    return { done: result('UNSUPPORTED', `unsupported algorithm "${alg}"`, meta) };
  }
  if (nonce === undefined) {
    if (options.requireNonce ?? true)
      return { done: result('PRECONDITION', 'missing "nonce"', meta) };
  } else if (nonce.length < (options.minNonceLength ?? 22)) {
    return { done: result('PRECONDITION', '"nonce" is too short', meta) };
  }
  if (options.requireKeyIdMatchesApiKey ?? true) {
    if (apiKey === undefined)
      return { done: result('PRECONDITION', 'missing "x-api-key" header field', meta) };
    if (keyid === undefined) return { done: result('PRECONDITION', 'missing "keyid"', meta) };
    if (!constantTimeEqual(keyid, apiKey)) {
      return {
        done: result('PRECONDITION', '"keyid" does not match the "x-api-key" header field', meta),
      };
    }
  }

  // Time window.
  const clock = options.clock ?? systemClock;
  const nowMs = clock.now();
  const now = nowMs / 1000;
  const skew = options.clockSkewSeconds ?? 3;
  const maxAge = options.maxAgeSeconds ?? 10;
  if (created === undefined) return { done: result('PRECONDITION', 'missing "created"', meta) };
  if (created > now + skew)
    return { done: result('PRECONDITION', '"created" is in the future', meta) };
  if ((options.timeMode ?? 'tolerant') === 'reference') {
    if (expires !== undefined && expires < now + skew)
      return { done: result('EXPIRED', 'signature expired', meta) };
    if (created + maxAge < now + skew)
      return { done: result('EXPIRED', 'signature too old', meta) };
  } else {
    if (expires !== undefined && expires < now - skew)
      return { done: result('EXPIRED', 'signature expired', meta) };
    if (now - created > maxAge + skew)
      return { done: result('EXPIRED', 'signature too old', meta) };
  }
  let base: string;
  try {
    base = baseFromInnerList(list, values).base;
  } catch {
    return { done: result('INVALID', 'cannot serialize the signature base', meta) };
  }
  const lookupKey = keyid ?? apiKey;
  // After this instant the signature fails the time checks anyway (too old or expired in both
  // time modes), so the nonce need not be remembered longer, whatever `expires` claims.
  const expiresAtMs = (Math.min(created + maxAge, expires ?? Infinity) + skew) * 1000;
  return {
    lookupKey,
    ...(nonce === undefined
      ? {}
      : { claim: { keyid: lookupKey ?? '', nonce, expiresAtMs, nowMs } }),
    meta,
    finish: (secret) => {
      let key: Uint8Array;
      if (secret === undefined) key = randomBytes(32);
      else if (secret === null || secret === '') key = new Uint8Array(0);
      else {
        try {
          key = decodeSecret(secret);
        } catch {
          return result('FAILED', 'the configured secret is not valid base64', meta);
        }
      }
      const expected = hmacSha256(key, base);
      const given = Buffer.alloc(expected.length);
      given.set(signatureBytes.subarray(0, expected.length));
      const match = timingSafeEqual(expected, given) && signatureBytes.length === expected.length;
      if (!match || secret === undefined) return result('FAILED', 'Signatures do not match', meta);
      return result('VERIFIED', 'signature verified', meta);
    },
  };
}

/**
 * Verifies the HTTP message signature of an upgrade request (spec §4.3) with the tolerant time
 * window by default. Never throws for bad input: every problem is a result code.
 *
 * @example
 * ```ts
 * const verification = await verifySignature(
 *   { url: request.url ?? '/', headers: request.headers },
 *   { resolveSecret: (apiKey) => secrets.get(apiKey), nonceCache },
 * );
 * if (!verification.ok) session.disconnect('unauthorized', verification.code);
 * ```
 */
export async function verifySignature(
  request: SignedRequest,
  options: VerifySignatureOptions,
): Promise<SignatureVerification> {
  const analysis = analyze(request, options);
  if ('done' in analysis) return analysis.done;
  const secret =
    analysis.lookupKey === undefined ? undefined : await options.resolveSecret(analysis.lookupKey);
  const verification = analysis.finish(secret);
  const store = options.nonceStore ?? options.nonceCache;
  const claim = analysis.claim;
  if (!verification.ok || store === undefined || claim === undefined) return verification;
  try {
    const key = nonceKey(claim.keyid, claim.nonce);
    const claimed = await store.claim(key, claim.expiresAtMs, claim.nowMs);
    return afterClaim(verification, claimed, analysis.meta);
  } catch (error) {
    return storeFailed(error, analysis.meta);
  }
}

/**
 * {@link verifySignature} with a synchronous secret lookup.
 *
 * @example
 * ```ts
 * const verification = verifySignatureSync(request, { resolveSecret: (k) => keys[k] });
 * ```
 */
export function verifySignatureSync(
  request: SignedRequest,
  options: VerifySignatureSyncOptions,
): SignatureVerification {
  const analysis = analyze(request, options);
  if ('done' in analysis) return analysis.done;
  const verification = analysis.finish(
    analysis.lookupKey === undefined ? undefined : options.resolveSecret(analysis.lookupKey),
  );
  const store = options.nonceStore ?? options.nonceCache;
  const claim = analysis.claim;
  if (!verification.ok || store === undefined || claim === undefined) return verification;
  let claimed: unknown;
  try {
    claimed = store.claim(nonceKey(claim.keyid, claim.nonce), claim.expiresAtMs, claim.nowMs);
  } catch (error) {
    return storeFailed(error, analysis.meta);
  }
  if (isThenable(claimed)) {
    // A store that cannot answer now cannot serve a synchronous check: refuse, and make sure
    // its eventual rejection is not unhandled.
    claimed.then(undefined, () => undefined);
    return storeFailed(
      new TypeError('the nonce store answered asynchronously; use verifySignature'),
      analysis.meta,
    );
  }
  return afterClaim(verification, claimed, analysis.meta);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** Options of {@link createAudioHookHeaders}. */
export interface AudioHookHeaderOptions {
  readonly organizationId: string;
  readonly sessionId: string;
  readonly correlationId: string;
  readonly apiKey: string;
  /** Base64 client secret (or bytes); without it the request is not signed. */
  readonly clientSecret?: string | Uint8Array | null;
  /** Path plus query of the URI. */
  readonly requestTarget: string;
  /** `host[:port]` of the URI (default ports left out). */
  readonly authority: string;
  /** Fixed nonce / created / expiry, for reproducible requests. */
  readonly nonce?: string;
  readonly created?: number;
  readonly expiresIn?: number | null;
  readonly clock?: Clock;
}

/**
 * The headers the AudioHook client sends on the upgrade request, signed when a client secret
 * is given.
 *
 * @example
 * ```ts
 * const headers = createAudioHookHeaders({ organizationId, sessionId, correlationId, apiKey,
 *   clientSecret, requestTarget: url.pathname + url.search, authority: url.host });
 * new WebSocket(url, { headers });
 * ```
 */
export function createAudioHookHeaders(options: AudioHookHeaderOptions): Record<string, string> {
  const headers: Record<string, string> = {
    'Audiohook-Organization-Id': options.organizationId,
    'Audiohook-Session-Id': options.sessionId,
    'Audiohook-Correlation-Id': options.correlationId,
    'X-API-KEY': options.apiKey,
  };
  const secret = options.clientSecret;
  if (secret === undefined || secret === null) return headers;
  const signed = signRequest({
    requestTarget: options.requestTarget,
    authority: options.authority,
    headers: {
      'audiohook-organization-id': options.organizationId,
      'audiohook-session-id': options.sessionId,
      'audiohook-correlation-id': options.correlationId,
      'x-api-key': options.apiKey,
    },
    keyid: options.apiKey,
    secret,
    ...(options.nonce === undefined ? {} : { nonce: options.nonce }),
    ...(options.created === undefined ? {} : { created: options.created }),
    ...(options.expiresIn === undefined ? {} : { expiresIn: options.expiresIn }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  headers['Signature-Input'] = signed.signatureInput;
  headers['Signature'] = signed.signature;
  return headers;
}
