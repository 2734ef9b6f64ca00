import { CrestaErrorCode, parseOAuthSecret, parseSecretArn } from '../src';

describe('parseSecretArn', () => {
  it.each([
    ['arn:aws:secretsmanager:us-west-2:123456789012:secret:cresta-AbCdEf', 'us-west-2'],
    ['arn:aws:secretsmanager:eu-west-1:123456789012:secret:my/secret:with-colon', 'eu-west-1'],
  ])('takes the region of %s from its 4th field', (arn, region) => {
    expect(parseSecretArn(arn).region).toBe(region);
  });

  it.each([
    'arn:aws:s3:us-west-2:123456789012:secret:x',
    'not-an-arn',
    'arn:aws:secretsmanager:us-west-2',
    'arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:x',
    'arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:x',
  ])('rejects %s', (arn) => {
    expect(() => parseSecretArn(arn)).toThrow(
      `failed to extract region from secret ARN: invalid Secrets Manager ARN format: ${arn}`,
    );
  });

  it('accepts other partitions when they are allowed', () => {
    const arn = 'arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:x';
    expect(parseSecretArn(arn, ['aws', 'aws-cn'])).toEqual({
      arn,
      partition: 'aws-cn',
      region: 'cn-north-1',
    });
  });
});

describe('parseOAuthSecret', () => {
  it('returns the client id and secret', () => {
    expect(parseOAuthSecret('{"oauthClientId":"id","oauthClientSecret":"s"}')).toEqual({
      clientId: 'id',
      clientSecret: 's',
    });
  });

  it.each([
    [undefined, 'secret value is empty or not a string'],
    ['', 'secret value is empty or not a string'],
    ['{"oauthClientSecret":"s"}', 'secret must contain oauthClientId and oauthClientSecret fields'],
    ['{"oauthClientId":"id"}', 'secret must contain oauthClientId and oauthClientSecret fields'],
    ['[]', 'secret must contain oauthClientId and oauthClientSecret fields'],
    [
      '{"oauthClientId":"","oauthClientSecret":"s"}',
      'secret must contain oauthClientId and oauthClientSecret as non-empty strings',
    ],
    [
      '{"oauthClientId":"id","oauthClientSecret":""}',
      'secret must contain oauthClientId and oauthClientSecret as non-empty strings',
    ],
    [
      '{"oauthClientId":12,"oauthClientSecret":"s"}',
      'secret must contain oauthClientId and oauthClientSecret as non-empty strings',
    ],
    [
      '{"oauthClientId":"id","oauthClientSecret":34}',
      'secret must contain oauthClientId and oauthClientSecret as non-empty strings',
    ],
  ])('rejects %j', (value, message) => {
    expect(() => parseOAuthSecret(value)).toThrow(message);
  });

  it('reports invalid JSON without quoting the secret', () => {
    let error: { code?: string; message: string } | undefined;
    try {
      parseOAuthSecret('{"oauthClientId":"id","oauthClientSecret":"hunter2"');
    } catch (err) {
      error = err as { code?: string; message: string };
    }
    expect(error?.code).toBe(CrestaErrorCode.Secret);
    expect(error?.message).toMatch(/^failed to parse secret JSON/);
    expect(error?.message).not.toContain('hunter2');
  });
});
