// Everything the verifier decides before it needs the secret (spec §4.3): parsing the two
// headers (RFC 8941 with `structured-headers`), the signature parameters, the covered components,
// the AudioHook policy and the time window; and, once the secret is known, the MAC comparison.

import { type InnerList, type Item, type Parameters, parseDictionary } from 'structured-headers';
import { systemClock } from '../clock';
import { AudioHookError, AudioHookErrorCode } from '../errors';
import { createSignatureBaseFromList, headerLookup } from './base';
import { constantTimeEqual, decodeSecret, randomKey, utf8 } from './crypto';
import {
  AUDIOHOOK_SIGNED_COMPONENTS,
  type SecretLookupResult,
  type SignatureResultCode,
  type SignatureVerification,
  type SignedRequest,
  type VerifySignatureBaseOptions,
} from './types';

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

/** What a result carries besides its code and reason. @internal */
export type ResultMeta = Partial<Omit<SignatureVerification, 'code' | 'ok' | 'reason'>>;

/** A result of a signed request. @internal */
export function result(
  code: SignatureResultCode,
  reason: string,
  extra: ResultMeta = {},
): SignatureVerification {
  return { code, ok: code === 'VERIFIED', reason, signed: true, ...extra };
}

/** The nonce of a signature, to be claimed once its MAC matched. @internal */
export interface PendingClaim {
  readonly keyid: string;
  readonly nonce: string;
  readonly expiresAtMs: number;
  readonly nowMs: number;
}

/** What the verifier knows before the secret lookup. @internal */
export type Analysis =
  /** Decided without the secret. */
  | { readonly kind: 'done'; readonly result: SignatureVerification }
  /** No signature: accepted only if the key turns out to have no secret. */
  | { readonly kind: 'unsigned'; readonly lookupKey: string }
  /** A well-formed signature: the MAC over `base` decides. */
  | {
      readonly kind: 'signed';
      readonly lookupKey: string | undefined;
      /** Absent for signatures without a nonce. */
      readonly claim?: PendingClaim;
      readonly meta: ResultMeta;
      readonly base: string;
      readonly signature: Uint8Array;
    };

/** The header fields and what the parsers made of them. */
interface Parsed {
  readonly label: string;
  readonly list: InnerList;
  readonly signature: Uint8Array;
}

/** The signature parameters, checked for type. */
interface SignatureParams {
  readonly keyid: string | undefined;
  readonly nonce: string | undefined;
  readonly alg: string | undefined;
  readonly created: number | undefined;
  readonly expires: number | undefined;
  readonly meta: ResultMeta;
}

const done = (verification: SignatureVerification): Analysis => ({
  kind: 'done',
  result: verification,
});

/** Checks everything that does not need the secret. Never throws for bad input. @internal */
export function analyze(request: SignedRequest, options: VerifySignatureBaseOptions): Analysis {
  checkOptions(options);
  const header = headerLookup(request.headers);
  const inputHeader = header('signature-input');
  const signatureHeader = header('signature');
  const apiKey = header('x-api-key');
  if (inputHeader === undefined && signatureHeader === undefined) {
    return analyzeUnsigned(apiKey, options);
  }
  if (inputHeader === undefined || signatureHeader === undefined) {
    return done(result('INVALID', 'only one of "signature" and "signature-input" is present'));
  }
  const parsed = parseFields(inputHeader, signatureHeader);
  if ('code' in parsed) return done(parsed);
  const params = readParameters(parsed.list[1], parsed.label);
  if ('code' in params) return done(params);
  const decimal = decimalTimeParameter(inputHeader, parsed.label);
  if (decimal !== undefined) {
    return done(result('INVALID', `invalid value of parameter "${decimal}"`, params.meta));
  }
  const { meta } = params;
  const values = resolveComponents(parsed.list, request, header, options, meta);
  if (!Array.isArray(values)) return done(values);
  const refused = checkPolicy(parsed.list, params, apiKey, options);
  if (refused !== undefined) return done(refused);
  const window = checkTimeWindow(params, options);
  if ('code' in window) return done(window);
  let base: string;
  try {
    base = createSignatureBaseFromList(parsed.list, values).base;
  } catch {
    return done(result('INVALID', 'cannot serialize the signature base', meta));
  }
  const lookupKey = params.keyid ?? apiKey;
  return {
    kind: 'signed',
    lookupKey,
    ...(params.nonce === undefined
      ? {}
      : {
          claim: {
            keyid: lookupKey ?? '',
            nonce: params.nonce,
            expiresAtMs: window.claimUntilMs,
            nowMs: window.nowMs,
          },
        }),
    meta,
    base,
    signature: parsed.signature,
  };
}

function analyzeUnsigned(
  apiKey: string | undefined,
  options: VerifySignatureBaseOptions,
): Analysis {
  const policy = options.allowUnsigned ?? 'no-secret';
  if (policy === 'always') return done(unsigned('VERIFIED', 'unsigned request accepted'));
  if (policy === 'never' || apiKey === undefined) return done(unsigned('UNSIGNED', MISSING));
  return { kind: 'unsigned', lookupKey: apiKey };
}

const MISSING = 'No "signature" and "signature-input" header fields';

function unsigned(code: SignatureResultCode, reason: string): SignatureVerification {
  return { code, ok: code === 'VERIFIED', reason, signed: false };
}

/** The verdict on an unsigned request once the key's secret is known. @internal */
export function unsignedResult(secret: SecretLookupResult): SignatureVerification {
  return secret === '' || secret === null || (secret instanceof Uint8Array && secret.length === 0)
    ? unsigned('VERIFIED', 'unsigned request accepted: the API key has no secret')
    : unsigned('UNSIGNED', MISSING);
}

function isArrayBuffer(value: unknown): value is ArrayBuffer {
  return Object.prototype.toString.call(value) === '[object ArrayBuffer]';
}

/** Parses both fields and picks the first signature input and its signature. */
function parseFields(inputHeader: string, signatureHeader: string): Parsed | SignatureVerification {
  let inputs: Map<string, Item | InnerList>;
  let signatures: Map<string, Item | InnerList>;
  try {
    inputs = parseDictionary(inputHeader);
  } catch {
    return result('INVALID', 'cannot parse the "signature-input" header field');
  }
  try {
    signatures = parseDictionary(signatureHeader);
  } catch {
    return result('INVALID', 'cannot parse the "signature" header field');
  }
  const first = inputs.entries().next();
  if (first.done === true) return result('INVALID', 'empty "signature-input"');
  const [label, entry] = first.value;
  if (!Array.isArray(entry[0])) {
    return result('INVALID', `signature input ${label} is not an inner list`, { label });
  }
  const signatureEntry = signatures.get(label);
  if (signatureEntry === undefined || !isArrayBuffer(signatureEntry[0])) {
    return result('INVALID', `no byte-sequence signature labelled ${label}`, { label });
  }
  return {
    label,
    list: entry as InnerList,
    signature: new Uint8Array(signatureEntry[0] as ArrayBuffer),
  };
}

/** Only the five known parameters, each of its type. */
function readParameters(
  params: Parameters,
  label: string,
): SignatureParams | SignatureVerification {
  for (const [name, value] of params) {
    if (!SIGNATURE_PARAMETERS.has(name)) {
      return result('INVALID', `unsupported signature parameter "${name}"`, { label });
    }
    const numeric = name === 'created' || name === 'expires';
    const valid = numeric
      ? typeof value === 'number' && Number.isInteger(value) && value >= 0
      : typeof value === 'string';
    if (!valid) return result('INVALID', `invalid value of parameter "${name}"`, { label });
  }
  const keyid = params.get('keyid') as string | undefined;
  const created = params.get('created') as number | undefined;
  const expires = params.get('expires') as number | undefined;
  return {
    keyid,
    nonce: params.get('nonce') as string | undefined,
    alg: params.get('alg') as string | undefined,
    created,
    expires,
    meta: {
      label,
      ...(keyid === undefined ? {} : { keyid }),
      ...(created === undefined ? {} : { created }),
      ...(expires === undefined ? {} : { expires }),
    },
  };
}

/**
 * `created` or `expires` when the signature input labelled `label` spells it as an RFC 8941
 * Decimal (`1641013200.0`). The parser gives a Decimal and an Integer the same JS number, and the
 * base is rebuilt from that number, so this is read from the field's text: strings and byte
 * sequences blanked (they may hold any of `,;.=`), then the last member named `label` (a
 * duplicate key overwrites), then its signature parameters (after the inner list's `)`).
 */
function decimalTimeParameter(inputHeader: string, label: string): string | undefined {
  const blanked = inputHeader
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/:[A-Za-z0-9+/=]*:/g, '::');
  const member = blanked
    .split(',')
    .map((text) => text.trim())
    .filter((text) => /^[a-z*][a-z0-9_\-.*]*/.exec(text)?.[0] === label)
    .at(-1);
  const params = member?.slice(member.lastIndexOf(')') + 1) ?? '';
  return /;\s*(created|expires)=-?\d+\./.exec(params)?.[1];
}

/** Most components a signature may cover: AudioHook's has six, RFC 9421's examples fewer than 20. */
const MAX_COVERED_COMPONENTS = 64;

/**
 * Refuses options that would make a check pass by accident: `NaN` (e.g. `Number(undefined)` from
 * an unset variable) turns every time comparison false, so a signature of any age would verify.
 */
function checkOptions(options: VerifySignatureBaseOptions): void {
  const invalid = (name: string, value: unknown, rule: string): never => {
    throw new AudioHookError(
      AudioHookErrorCode.InvalidArgument,
      `${name} must be ${rule}, got ${String(value)}`,
    );
  };
  const { maxAgeSeconds, clockSkewSeconds, minNonceLength, timeMode, allowUnsigned } = options;
  if (maxAgeSeconds !== undefined && !(Number.isFinite(maxAgeSeconds) && maxAgeSeconds >= 0)) {
    invalid('maxAgeSeconds', maxAgeSeconds, 'a finite number ≥ 0');
  }
  if (
    clockSkewSeconds !== undefined &&
    !(Number.isFinite(clockSkewSeconds) && clockSkewSeconds >= 0)
  ) {
    invalid('clockSkewSeconds', clockSkewSeconds, 'a finite number ≥ 0');
  }
  if (
    minNonceLength !== undefined &&
    !(Number.isSafeInteger(minNonceLength) && minNonceLength >= 0)
  ) {
    invalid('minNonceLength', minNonceLength, 'an integer ≥ 0');
  }
  if (timeMode !== undefined && timeMode !== 'tolerant' && timeMode !== 'reference') {
    invalid('timeMode', timeMode, "'tolerant' or 'reference'");
  }
  if (
    allowUnsigned !== undefined &&
    allowUnsigned !== 'no-secret' &&
    allowUnsigned !== 'never' &&
    allowUnsigned !== 'always'
  ) {
    invalid('allowUnsigned', allowUnsigned, "'no-secret', 'never' or 'always'");
  }
}

/** The value of every covered component, in order, or why one cannot be resolved. */
function resolveComponents(
  list: InnerList,
  request: SignedRequest,
  header: (name: string) => string | undefined,
  options: VerifySignatureBaseOptions,
  meta: ResultMeta,
): string[] | SignatureVerification {
  if (list[0].length > MAX_COVERED_COMPONENTS) {
    return result('INVALID', `more than ${MAX_COVERED_COMPONENTS} covered components`, meta);
  }
  const names = new Set<string>();
  const values: string[] = [];
  for (const [name, componentParams] of list[0]) {
    if (typeof name !== 'string') {
      return result('INVALID', 'a component identifier is not a string', meta);
    }
    if (componentParams.size > 0) {
      const known = [...componentParams.keys()].every((k) => COMPONENT_PARAMETERS.has(k));
      return result(
        known ? 'UNSUPPORTED' : 'INVALID',
        `component parameters of "${name}" are not supported`,
        meta,
      );
    }
    if (names.has(name)) return result('INVALID', `duplicate component "${name}"`, meta);
    let value: string | undefined;
    if (name === '@signature-params') {
      return result('INVALID', '"@signature-params" cannot be a covered component', meta);
    } else if (name === '@query-params' || name === 'signature') {
      return result('UNSUPPORTED', `component "${name}" is not supported`, meta);
    } else if (name === '@request-target') {
      value = request.url;
    } else if (name === '@authority') {
      value = options.authority ?? header('host');
    } else if (DERIVED_UNRESOLVED.has(name)) {
      value = undefined;
    } else if (name.startsWith('@') || name !== name.toLowerCase() || name.length === 0) {
      return result('INVALID', `invalid component identifier "${name}"`, meta);
    } else {
      value = header(name);
    }
    if (value === undefined) {
      return result('PRECONDITION', `Cannot resolve reference "${name}"`, meta);
    }
    names.add(name);
    values.push(value);
  }
  return values;
}

/** Required components, algorithm, nonce and keyid rules of AudioHook. */
function checkPolicy(
  list: InnerList,
  params: SignatureParams,
  apiKey: string | undefined,
  options: VerifySignatureBaseOptions,
): SignatureVerification | undefined {
  const { meta, alg, nonce, keyid } = params;
  const names = list[0].map(([name]) => name);
  for (const required of options.requiredComponents ?? AUDIOHOOK_SIGNED_COMPONENTS) {
    if (!names.includes(required)) {
      return result('PRECONDITION', `required component "${required}" is not covered`, meta);
    }
  }
  if (alg !== undefined && alg !== 'hmac-sha256') {
    return result('UNSUPPORTED', `unsupported algorithm "${alg}"`, meta);
  }
  if (nonce === undefined) {
    if (options.requireNonce ?? true) return result('PRECONDITION', 'missing "nonce"', meta);
  } else if (nonce.length < (options.minNonceLength ?? 22)) {
    return result('PRECONDITION', '"nonce" is too short', meta);
  }
  if (options.requireKeyIdMatchesApiKey ?? true) {
    if (apiKey === undefined)
      return result('PRECONDITION', 'missing "x-api-key" header field', meta);
    if (keyid === undefined) return result('PRECONDITION', 'missing "keyid"', meta);
    if (!constantTimeEqual(utf8(keyid), utf8(apiKey))) {
      return result('PRECONDITION', '"keyid" does not match the "x-api-key" header field', meta);
    }
  }
  return undefined;
}

/** `created` / `expires` against the clock; on success, until when the nonce must be kept. */
function checkTimeWindow(
  params: SignatureParams,
  options: VerifySignatureBaseOptions,
): { readonly nowMs: number; readonly claimUntilMs: number } | SignatureVerification {
  const { created, expires, meta } = params;
  const nowMs = (options.clock ?? systemClock).now();
  const now = nowMs / 1000;
  const skew = options.clockSkewSeconds ?? 3;
  const maxAge = options.maxAgeSeconds ?? 10;
  if (created === undefined) return result('PRECONDITION', 'missing "created"', meta);
  if (created > now + skew) return result('PRECONDITION', '"created" is in the future', meta);
  if ((options.timeMode ?? 'tolerant') === 'reference') {
    if (expires !== undefined && expires < now + skew) {
      return result('EXPIRED', 'signature expired', meta);
    }
    if (created + maxAge < now + skew) return result('EXPIRED', 'signature too old', meta);
  } else {
    if (expires !== undefined && expires < now - skew) {
      return result('EXPIRED', 'signature expired', meta);
    }
    if (now - created > maxAge + skew) return result('EXPIRED', 'signature too old', meta);
  }
  // After this instant the signature fails the time checks anyway (too old or expired in both
  // time modes), so the nonce need not be remembered longer, whatever `expires` claims.
  const claimUntilMs = (Math.min(created + maxAge, expires ?? Infinity) + skew) * 1000;
  return { nowMs, claimUntilMs };
}

/**
 * The key to compute the MAC with: the decoded secret, empty for a key without one, random for
 * an unknown key (so it fails like a wrong signature); or the failure for an invalid secret.
 * @internal
 */
export function macKey(
  secret: SecretLookupResult,
  meta: ResultMeta,
): Uint8Array | SignatureVerification {
  if (secret === undefined) return randomKey(32);
  if (secret === null || secret === '') return new Uint8Array(0);
  try {
    return decodeSecret(secret);
  } catch {
    return result('FAILED', 'the configured secret is not valid base64', meta);
  }
}

/** Compares the MAC in constant time. @internal */
export function macResult(
  expected: Uint8Array,
  given: Uint8Array,
  secret: SecretLookupResult,
  meta: ResultMeta,
): SignatureVerification {
  const padded = new Uint8Array(expected.length);
  padded.set(given.subarray(0, expected.length));
  const match = constantTimeEqual(expected, padded) && given.length === expected.length;
  if (!match || secret === undefined) return result('FAILED', 'Signatures do not match', meta);
  return result('VERIFIED', 'signature verified', meta);
}
