import { CrestaError, CrestaErrorCode, messageOf } from './errors';

/** OAuth2 client credentials. */
export interface OAuthCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
}

/** The parts of a Secrets Manager ARN this library uses. */
export interface SecretArn {
  readonly arn: string;
  readonly partition: string;
  /** The AWS region of the secret (the 4th `:` field), used for the SDK client. */
  readonly region: string;
}

/** The partitions accepted by default: only the commercial `aws` partition, as upstream. */
export const DEFAULT_SECRET_PARTITIONS: readonly string[] = ['aws'];

function secretError(message: string, cause?: unknown): CrestaError {
  return new CrestaError(
    CrestaErrorCode.Secret,
    message,
    cause === undefined ? { field: 'oauthSecretArn' } : { field: 'oauthSecretArn', cause },
  );
}

/**
 * Parses a Secrets Manager ARN, `arn:<partition>:secretsmanager:<region>:<account>:secret:<name>`.
 *
 * @param allowedPartitions partitions to accept; upstream accepts only `aws` (China `aws-cn` and
 * GovCloud `aws-us-gov` are rejected unless listed).
 * @throws {@link CrestaError} with code `CRESTA_ERR_SECRET` and the message
 * `failed to extract region from secret ARN: invalid Secrets Manager ARN format: <arn>`.
 * @example
 * ```ts
 * parseSecretArn('arn:aws:secretsmanager:eu-west-1:123456789012:secret:cresta-AbCdEf').region;
 * // 'eu-west-1'
 * ```
 */
export function parseSecretArn(
  arn: string,
  allowedPartitions: readonly string[] = DEFAULT_SECRET_PARTITIONS,
): SecretArn {
  const parts = arn.split(':');
  const [prefix, partition = '', service, region = '', account = '', kind] = parts;
  const valid =
    prefix === 'arn' &&
    allowedPartitions.includes(partition) &&
    service === 'secretsmanager' &&
    /^[a-z]{2}(-[a-z]+)+-\d+$/.test(region) &&
    /^\d{12}$/.test(account) &&
    kind === 'secret' &&
    parts.length >= 7 &&
    parts.slice(6).join(':').length > 0;
  if (!valid) {
    throw secretError(
      `failed to extract region from secret ARN: invalid Secrets Manager ARN format: ${arn}`,
    );
  }
  return { arn, partition, region };
}

/**
 * Parses the secret's `SecretString`: a JSON object with non-empty string fields
 * `oauthClientId` and `oauthClientSecret`.
 *
 * @throws {@link CrestaError} with code `CRESTA_ERR_SECRET` and the upstream message for the
 * failed rule (`secret value is empty or not a string`, `secret must contain oauthClientId and
 * oauthClientSecret fields`, `... as non-empty strings`, or the JSON parser's message).
 * @example
 * ```ts
 * parseOAuthSecret('{"oauthClientId":"id","oauthClientSecret":"s3cret"}');
 * // { clientId: 'id', clientSecret: 's3cret' }
 * ```
 */
export function parseOAuthSecret(secretString: unknown): OAuthCredentials {
  if (typeof secretString !== 'string' || secretString.length === 0) {
    throw secretError('secret value is empty or not a string');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString);
  } catch (err) {
    // The parser's message may quote part of the secret, so only its position is kept.
    const position = /position \d+/.exec(messageOf(err))?.[0];
    throw secretError(
      `failed to parse secret JSON${position === undefined ? '' : ` (${position})`}`,
      undefined,
    );
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw secretError('secret must contain oauthClientId and oauthClientSecret fields');
  }
  const record = parsed as Record<string, unknown>;
  if (!('oauthClientId' in record) || !('oauthClientSecret' in record)) {
    throw secretError('secret must contain oauthClientId and oauthClientSecret fields');
  }
  const { oauthClientId, oauthClientSecret } = record;
  if (
    typeof oauthClientId !== 'string' ||
    typeof oauthClientSecret !== 'string' ||
    oauthClientId.length === 0 ||
    oauthClientSecret.length === 0
  ) {
    throw secretError(
      'secret must contain oauthClientId and oauthClientSecret as non-empty strings',
    );
  }
  return { clientId: oauthClientId, clientSecret: oauthClientSecret };
}
