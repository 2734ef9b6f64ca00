import { createHash } from 'node:crypto';
import { RecorderError, RecorderErrorCode } from './errors';

/** The pattern CreateMediaInsightsPipeline applies to `S3RecordingSinkRuntimeConfiguration.Destination`. */
export const DESTINATION_PATTERN = /^arn[/:\-_.a-zA-Z0-9]+$/;
/** Maximum length of the destination ARN. */
export const DESTINATION_MAX_LENGTH = 1024;
/** The pattern of `ClientRequestToken`. */
export const CLIENT_REQUEST_TOKEN_PATTERN = /^[-_a-zA-Z0-9]{2,64}$/;

/** Placeholders a {@link KeyTemplate} may use. */
export const KEY_PLACEHOLDERS = [
  'transactionId',
  'callId',
  'voiceConnectorId',
  'yyyy',
  'mm',
  'dd',
] as const;
/** One of {@link KEY_PLACEHOLDERS}. */
export type KeyPlaceholder = (typeof KEY_PLACEHOLDERS)[number];

/** What to do with identifier characters the destination pattern rejects. */
export type InvalidCharsPolicy = 'sanitize' | 'reject';

/** A parsed object-name template, e.g. `{transactionId}` or `{yyyy}/{mm}/{dd}/{callId}`. */
export interface KeyTemplate {
  readonly source: string;
  readonly parts: readonly ({ literal: string } | { placeholder: KeyPlaceholder })[];
}

/** The characters a recording prefix may hold (those the destination pattern accepts in a key). */
export const PREFIX_PATTERN = /^[-_.a-zA-Z0-9/]+$/;

/**
 * A prefix trimmed, with runs of `/` made one and the surrounding `/` dropped (`''` = bucket
 * root); {@link normalizePrefix} then checks it and adds the leading `/`.
 *
 * @example
 * ```ts
 * trimPrefix(' /calls//2024/ '); // 'calls/2024'
 * ```
 */
export function trimPrefix(raw: string): string {
  return raw
    .trim()
    .replace(/\/{2,}/g, '/')
    .replace(/^\/+|\/+$/g, '');
}

/**
 * Normalises `RECORDING_BUCKET_PREFIX` the way the 2023 sample meant it: surrounding slashes are
 * dropped and one leading `/` is added, so `originalAudio/` becomes `/originalAudio` and an empty
 * prefix means the bucket root (no leading `/` in the key, unlike the sample's metadata key).
 *
 * @example
 * ```ts
 * normalizePrefix('originalAudio/'); // '/originalAudio'
 * normalizePrefix(''); // ''
 * ```
 * @throws RecorderError `CHIME_REC_ERR_CONFIG_INVALID` for characters the API rejects.
 */
export function normalizePrefix(raw: string): string {
  const trimmed = trimPrefix(raw);
  if (trimmed === '') return '';
  if (!PREFIX_PATTERN.test(trimmed)) {
    throw new RecorderError(
      RecorderErrorCode.ConfigInvalid,
      `RECORDING_BUCKET_PREFIX may only hold letters, digits, "-", "_", "." and "/": ${JSON.stringify(raw)}`,
    );
  }
  return `/${trimmed}`;
}

/**
 * Parses an object-name template. Literal text may hold `[-_.a-zA-Z0-9/]`; placeholders are
 * `{transactionId}`, `{callId}`, `{voiceConnectorId}` and `{yyyy}`/`{mm}`/`{dd}` (the UTC date of
 * the recording start). The file extension is added from the recording format.
 *
 * @example
 * ```ts
 * parseKeyTemplate('{yyyy}/{mm}/{dd}/{transactionId}');
 * ```
 * @throws RecorderError `CHIME_REC_ERR_CONFIG_INVALID` for unknown placeholders or bad literals.
 */
export function parseKeyTemplate(source: string): KeyTemplate {
  const parts: KeyTemplate['parts'][number][] = [];
  const re = /\{([^{}]*)\}/g;
  let last = 0;
  let hasId = false;
  for (let m = re.exec(source); m !== null; m = re.exec(source)) {
    if (m.index > last) parts.push({ literal: source.slice(last, m.index) });
    const name = m[1] ?? '';
    if (!(KEY_PLACEHOLDERS as readonly string[]).includes(name)) {
      throw configError(`RECORDING_KEY_TEMPLATE has an unknown placeholder {${name}}`);
    }
    if (name === 'transactionId' || name === 'callId') hasId = true;
    parts.push({ placeholder: name as KeyPlaceholder });
    last = m.index + m[0].length;
  }
  if (last < source.length) parts.push({ literal: source.slice(last) });
  for (const p of parts) {
    if ('literal' in p && !/^[-_.a-zA-Z0-9/]+$/.test(p.literal)) {
      throw configError(
        `RECORDING_KEY_TEMPLATE literal text may only hold letters, digits, "-", "_", "." and "/": ${JSON.stringify(p.literal)}`,
      );
    }
  }
  if (!hasId) {
    // Without a per-call identifier every recording would overwrite the same object.
    throw configError('RECORDING_KEY_TEMPLATE must contain {transactionId} or {callId}');
  }
  if (source.startsWith('/') || source.endsWith('/')) {
    throw configError('RECORDING_KEY_TEMPLATE must not start or end with "/"');
  }
  return { source, parts };
}

/** The values a template is rendered with. */
export interface KeyValues {
  transactionId: string;
  callId: string;
  voiceConnectorId: string;
  /** Recording start, epoch ms; gives `{yyyy}`, `{mm}`, `{dd}` in UTC. */
  startMs: number;
}

/** The destination of one recording and what had to be changed to make it valid. */
export interface Destination {
  /** `arn:<partition>:s3:::<bucket><prefix>/<key>.<ext>` */
  arn: string;
  /** The object key inside the bucket. */
  key: string;
  /** The key of the metadata object next to it: the same name with `.json`. */
  metadataKey: string;
  /** Placeholders whose values had characters replaced with `_`. */
  sanitized: KeyPlaceholder[];
}

/** Options of {@link buildDestination}. */
export interface DestinationOptions {
  bucket: string;
  /** Normalised prefix from {@link normalizePrefix}. */
  prefix: string;
  template: KeyTemplate;
  /** `wav` or `ogg`. */
  extension: string;
  /** @default 'sanitize' */
  invalidChars?: InvalidCharsPolicy;
  /** @default 'aws' */
  partition?: string;
}

/**
 * Builds the S3 destination ARN and checks it against the API's pattern and length.
 *
 * @example
 * ```ts
 * buildDestination(values, { bucket: 'b', prefix: '/originalAudio', template, extension: 'wav' })
 *   .arn; // 'arn:aws:s3:::b/originalAudio/ec97a8ff-….wav'
 * ```
 * @throws RecorderError `CHIME_REC_ERR_DESTINATION_INVALID` when a value has characters the API
 *   rejects and the policy is `reject`, or when the result is longer than 1,024 characters.
 */
export function buildDestination(values: KeyValues, options: DestinationOptions): Destination {
  const policy = options.invalidChars ?? 'sanitize';
  const start = new Date(values.startMs);
  const sanitized: KeyPlaceholder[] = [];
  const rendered = options.template.parts
    .map((p) => {
      if ('literal' in p) return p.literal;
      const value = placeholderValue(p.placeholder, values, start);
      if (/^[-_.a-zA-Z0-9]+$/.test(value) && value !== '.' && value !== '..') return value;
      if (policy === 'reject') {
        throw new RecorderError(
          RecorderErrorCode.DestinationInvalid,
          `{${p.placeholder}} has characters the S3 destination pattern rejects (only letters, digits, "-", "_" and "." are allowed)`,
          { details: { placeholder: p.placeholder } },
        );
      }
      sanitized.push(p.placeholder);
      return value.replace(/[^-_.a-zA-Z0-9]/g, '_').replace(/^\.{1,2}$/, '_');
    })
    .join('');
  const base = `${options.prefix.slice(1)}${options.prefix === '' ? '' : '/'}${rendered}`;
  const key = `${base}.${options.extension}`;
  const arn = `arn:${options.partition ?? 'aws'}:s3:::${options.bucket}${options.prefix}/${rendered}.${options.extension}`;
  if (!DESTINATION_PATTERN.test(arn) || arn.length > DESTINATION_MAX_LENGTH) {
    throw new RecorderError(
      RecorderErrorCode.DestinationInvalid,
      `the S3 destination is not valid for CreateMediaInsightsPipeline (pattern ${DESTINATION_PATTERN.source}, at most ${DESTINATION_MAX_LENGTH} characters; this one has ${arn.length})`,
    );
  }
  return { arn, key, metadataKey: `${base}.json`, sanitized };
}

/**
 * The idempotency token of a call's pipeline: the transaction id itself when it fits the API
 * pattern (a UUID does), otherwise `h-` and 62 hex digits of its SHA-256, so retried and
 * duplicated creates of one call carry the same token.
 *
 * @example
 * ```ts
 * clientRequestToken('ec97a8ff-3f83-4de2-8d73-d988070f6af4'); // unchanged
 * clientRequestToken('call@pbx'); // 'h-3b1f…'
 * ```
 */
export function clientRequestToken(transactionId: string): string {
  if (CLIENT_REQUEST_TOKEN_PATTERN.test(transactionId)) return transactionId;
  return `h-${createHash('sha256').update(transactionId, 'utf8').digest('hex').slice(0, 62)}`;
}

function placeholderValue(name: KeyPlaceholder, v: KeyValues, start: Date): string {
  switch (name) {
    case 'transactionId':
      return v.transactionId;
    case 'callId':
      return v.callId;
    case 'voiceConnectorId':
      return v.voiceConnectorId;
    case 'yyyy':
      return String(start.getUTCFullYear()).padStart(4, '0');
    case 'mm':
      return String(start.getUTCMonth() + 1).padStart(2, '0');
    case 'dd':
      return String(start.getUTCDate()).padStart(2, '0');
  }
}

function configError(message: string): RecorderError {
  return new RecorderError(RecorderErrorCode.ConfigInvalid, message);
}
