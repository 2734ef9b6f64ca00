import { ConfigError, loadConfig, SAMPLE_API_KEY, SAMPLE_CLIENT_SECRET } from '../src/config';

describe('loadConfig', () => {
  it('applies the sample defaults: 127.0.0.1:3000, session strategy, recording on', () => {
    const config = loadConfig({}, { cwd: '/srv' });
    expect(config.port).toBe(3000);
    expect(config.host).toBe('127.0.0.1');
    expect(config.auth.strategy).toBe('session');
    expect(config.recording.enabled).toBe(true);
    expect(config.recording.directory).toBe('/srv');
    expect(config.s3).toBeUndefined();
    expect(config.apiKeys.staticMap).toEqual({});
    expect(config.endpoints.loadTest).toBe(false);
  });

  it('reads the sample environment variables', () => {
    const config = loadConfig(
      {
        SERVERPORT: '8080',
        SERVERHOST: '0.0.0.0',
        LOG_ROOT_DIR: 'rec',
        RECORDING_S3_BUCKET: 'bucket',
        SECRET_NAME_OR_ARN: 'arn:aws:secretsmanager:eu-west-1:1:secret:keys',
        STATIC_API_KEY_MAP: '{"k1":"","k2":null,"k3":"AAAA"}',
        SESSION_AUTH_STRATEGY: 'request',
      },
      { cwd: '/srv' },
    );
    expect(config.port).toBe(8080);
    expect(config.host).toBe('0.0.0.0');
    expect(config.recording.directory).toBe('/srv/rec');
    expect(config.s3?.bucket).toBe('bucket');
    expect(config.s3?.checksums).toBe('when_supported');
    expect(config.apiKeys.secret?.secretId).toContain('secret:keys');
    expect(config.apiKeys.secret?.refreshKnownMs).toBe(300_000);
    expect(config.apiKeys.secret?.refreshUnknownMs).toBe(60_000);
    expect(config.apiKeys.staticMap).toEqual({ k1: '', k2: null, k3: 'AAAA' });
    expect(config.auth.strategy).toBe('request');
  });

  it('uses when_required checksums for a custom S3 endpoint', () => {
    const config = loadConfig({ RECORDING_S3_BUCKET: 'b', S3_ENDPOINT: 'http://127.0.0.1:9000' });
    expect(config.s3?.checksums).toBe('when_required');
    expect(config.s3?.endpoint).toBe('http://127.0.0.1:9000');
  });

  it('enables the sample key and ./recordings only with localDefaults', () => {
    const local = loadConfig({}, { cwd: '/w', localDefaults: true });
    expect(local.apiKeys.staticMap).toEqual({ [SAMPLE_API_KEY]: SAMPLE_CLIENT_SECRET });
    expect(local.recording.directory).toBe('/w/recordings');
    const explicit = loadConfig({ STATIC_API_KEY_MAP: '{"mine":null}' }, { localDefaults: true });
    expect(explicit.apiKeys.staticMap).toEqual({ mine: null });
  });

  it.each([
    [{ SERVERPORT: 'eighty' }, /SERVERPORT: must be a whole number/],
    [{ SERVERPORT: '70000' }, /SERVERPORT/],
    [{ SESSION_AUTH_STRATEGY: 'header' }, /SESSION_AUTH_STRATEGY/],
    [{ STATIC_API_KEY_MAP: '{not json' }, /STATIC_API_KEY_MAP: not valid JSON/],
    [{ STATIC_API_KEY_MAP: '{"k":42}' }, /STATIC_API_KEY_MAP\.k/],
    [{ STATIC_API_KEY_MAP: '{"k":"not base64!"}' }, /base64/],
    [{ RECORDING_ENABLED: 'maybe' }, /RECORDING_ENABLED/],
    [{ VOICETRANSCRIPTION_LANGUAGES: 'en-US,not a tag' }, /not a language tag/],
  ])('rejects %j with one clear line', (env, message) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('SVC_ERR_CONFIG');
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });

  it("sets V8's heap growing percent to 100 unless told otherwise (0 = V8 decides)", () => {
    expect(loadConfig({}).gcHeapGrowingPercent).toBe(100);
    expect(loadConfig({ GC_HEAP_GROWING_PERCENT: '0' }).gcHeapGrowingPercent).toBe(0);
    expect(() => loadConfig({ GC_HEAP_GROWING_PERCENT: '-5' })).toThrow(ConfigError);
  });

  it('writes recordings through one worker thread in 20 ms batches unless told otherwise', () => {
    expect(loadConfig({}).recording.io).toEqual({ threads: 1, batchMs: 50 });
    const tuned = loadConfig({ RECORDING_IO_THREADS: '4', RECORDING_IO_BATCH_MS: '0' });
    expect(tuned.recording.io).toEqual({ threads: 4, batchMs: 0 });
    expect(() => loadConfig({ RECORDING_IO_THREADS: '0' })).toThrow(ConfigError);
    expect(() => loadConfig({ RECORDING_IO_BATCH_MS: '101' })).toThrow(ConfigError);
  });

  it('waits 10 s for open and 10 s for the close after a disconnect unless told otherwise (0 = wait for open forever)', () => {
    const defaults = loadConfig({}).limits;
    expect(defaults.openWaitTimeoutMs).toBe(10_000);
    expect(defaults.disconnectTimeoutMs).toBe(10_000);
    const tuned = loadConfig({ OPEN_WAIT_TIMEOUT_MS: '0', DISCONNECT_TIMEOUT_MS: '500' }).limits;
    expect(tuned.openWaitTimeoutMs).toBe(0);
    expect(tuned.disconnectTimeoutMs).toBe(500);
    expect(() => loadConfig({ OPEN_WAIT_TIMEOUT_MS: '-1' })).toThrow(ConfigError);
    expect(() => loadConfig({ DISCONNECT_TIMEOUT_MS: '0' })).toThrow(ConfigError);
  });

  it('gives a client 5 s to answer the WebSocket closing handshake unless told otherwise (0 = ws’s own 30 s)', () => {
    expect(loadConfig({}).limits.wsCloseTimeoutMs).toBe(5000);
    expect(loadConfig({ WS_CLOSE_TIMEOUT_MS: '0' }).limits.wsCloseTimeoutMs).toBe(0);
    expect(() => loadConfig({ WS_CLOSE_TIMEOUT_MS: '-1' })).toThrow(ConfigError);
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ SERVERPORT: '', RECORDING_S3_BUCKET: ' ' }).port).toBe(3000);
    expect(loadConfig({ RECORDING_S3_BUCKET: '' }).s3).toBeUndefined();
  });
});
