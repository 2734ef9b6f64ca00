import {
  DEFAULT_EXCLUDED_PARAMETER_KEYS,
  UPSTREAM_EXCLUDED_PARAMETER_KEYS,
} from '@org/cresta-handoff';
import { ConfigError, loadConfig } from '../src/config';
import { resolveVersion } from '../src/lib/version';

describe('loadConfig', () => {
  it('applies the documented defaults to an empty environment', () => {
    const config = loadConfig({});
    expect(config.http).toEqual({
      maxRetries: 3,
      baseDelayMs: 100,
      attemptTimeoutMs: 10_000,
      totalTimeoutMs: 7500,
      lambdaTimeMarginMs: 500,
      honorRetryAfter: true,
      maxRetryAfterMs: 30_000,
      acceptAny2xx: false,
      apiKeyHeader: 'authorization',
      refreshTokenOn401: true,
    });
    expect(config.supportedDtmfChars).toBe('0123456789*');
    expect(config.tokenCache).toEqual({ expiryBufferMs: 300_000, keyBy: 'authBaseAndClientId' });
    expect(config.secrets).toEqual({
      cacheTtlMs: 300_000,
      allowedPartitions: ['aws'],
      endpoint: undefined,
    });
    expect(config.resolve).toEqual({
      lowerCaseRegionForAuth: true,
      stripTrailingSlash: true,
      pathSegmentChecks: 'extended',
    });
    expect(config.output).toEqual({
      flattenPstnResponse: false,
      handoffOutput: 'contract',
      maxResponseBytes: 32_768,
    });
    expect(config.excludedParameterKeys).toEqual(DEFAULT_EXCLUDED_PARAMETER_KEYS);
    expect(config.emptyParameterMode).toBe('fallback');
    expect(config.debugLogging).toBe(false);
    expect(config.inLambda).toBe(false);
  });

  it('restores every upstream behaviour with STRICT_UPSTREAM_PARITY', () => {
    const config = loadConfig({ STRICT_UPSTREAM_PARITY: 'true' });
    expect(config.http.totalTimeoutMs).toBeUndefined();
    expect(config.http.honorRetryAfter).toBe(false);
    expect(config.http.refreshTokenOn401).toBe(false);
    expect(config.tokenCache.keyBy).toBe('clientId');
    expect(config.secrets.cacheTtlMs).toBe(0);
    expect(config.resolve).toEqual({
      lowerCaseRegionForAuth: false,
      stripTrailingSlash: false,
      pathSegmentChecks: 'upstream',
    });
    expect(config.output.maxResponseBytes).toBe(0);
    expect(config.excludedParameterKeys).toEqual(UPSTREAM_EXCLUDED_PARAMETER_KEYS);
  });

  it('lets an explicit variable win over the parity default', () => {
    const config = loadConfig({
      STRICT_UPSTREAM_PARITY: 'true',
      HTTP_TOTAL_TIMEOUT: '2500ms',
      REFRESH_TOKEN_ON_401: 'true',
    });
    expect(config.http.totalTimeoutMs).toBe(2500);
    expect(config.http.refreshTokenOn401).toBe(true);
  });

  it('parses durations, integers, lists and switches', () => {
    const config = loadConfig({
      HTTP_MAX_RETRIES: '5',
      HTTP_RETRY_BASE_DELAY: '250ms',
      HTTP_CLIENT_TIMEOUT: '1.5s',
      HTTP_TOTAL_TIMEOUT: '2s',
      SECRET_CACHE_TTL: '0',
      METADATA_EXCLUDED_PARAMETERS: 'action, region ,,custom',
      SECRET_ARN_PARTITIONS: 'aws,aws-us-gov',
      API_KEY_HEADER: 'x-api-key',
      DEBUG_LOGGING: 'TRUE',
      supportedDtmfChars: '0123456789*#',
      AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9001',
    });
    expect(config.http.maxRetries).toBe(5);
    expect(config.http.baseDelayMs).toBe(250);
    expect(config.http.attemptTimeoutMs).toBe(1500);
    expect(config.http.totalTimeoutMs).toBe(2000);
    expect(config.secrets.cacheTtlMs).toBe(0);
    expect(config.excludedParameterKeys).toEqual(['action', 'region', 'custom']);
    expect(config.secrets.allowedPartitions).toEqual(['aws', 'aws-us-gov']);
    expect(config.http.apiKeyHeader).toBe('x-api-key');
    expect(config.debugLogging).toBe(true);
    expect(config.supportedDtmfChars).toBe('0123456789*#');
    expect(config.inLambda).toBe(true);
  });

  it('treats empty variables as unset, as the CloudFormation template leaves them', () => {
    const config = loadConfig({
      HTTP_TOTAL_TIMEOUT: '',
      supportedDtmfChars: '',
      region: '',
      apiKey: '',
    });
    expect(config.http.totalTimeoutMs).toBe(7500);
    expect(config.supportedDtmfChars).toBe('0123456789*');
    expect(config.env.region).toBe('');
  });

  it('keeps invocation values exactly as given', () => {
    expect(loadConfig({ virtualAgentName: VA_WITH_SPACE }).env.virtualAgentName).toBe(
      VA_WITH_SPACE,
    );
  });

  it("refuses HTTP_MAX_RETRIES above the client's limit at start, not at the first call", () => {
    expect(() => loadConfig({ HTTP_MAX_RETRIES: '11' })).toThrow(
      'HTTP_MAX_RETRIES must be an integer of at most 10',
    );
    expect(loadConfig({ HTTP_MAX_RETRIES: '10' }).http.maxRetries).toBe(10);
  });

  it('names every invalid variable in one error', () => {
    let error: unknown;
    try {
      loadConfig({
        HTTP_MAX_RETRIES: 'three',
        HTTP_CLIENT_TIMEOUT: '10',
        API_KEY_HEADER: 'bearer',
        STRICT_UPSTREAM_PARITY: 'maybe',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ code: 'CONNECT_LAMBDA_ERR_CONFIG' });
    const message = (error as Error).message;
    expect(message).toContain('HTTP_MAX_RETRIES must be an integer');
    expect(message).toContain('HTTP_CLIENT_TIMEOUT must be a duration');
    expect(message).toContain('API_KEY_HEADER must be one of authorization, x-api-key');
    expect(message).toContain('STRICT_UPSTREAM_PARITY must be true or false');
  });
});

const VA_WITH_SPACE = ' customers/a/profiles/b/virtualAgents/c';

describe('resolveVersion', () => {
  it('prefers the build version, then LAMBDA_VERSION, then "unknown"', () => {
    expect(resolveVersion('build-first', '1.0.0', '2.0.0')).toBe('2.0.0');
    expect(resolveVersion('build-first', '1.0.0', undefined)).toBe('1.0.0');
    expect(resolveVersion('build-first', undefined, undefined)).toBe('unknown');
  });

  it('prefers LAMBDA_VERSION in env-first order (the Python order)', () => {
    expect(resolveVersion('env-first', '1.0.0', '2.0.0')).toBe('1.0.0');
    expect(resolveVersion('env-first', '', '2.0.0')).toBe('2.0.0');
  });
});
