import {
  createLambdaLogger,
  createLogger,
  DEFAULT_REDACT_KEYS,
  isSecretKey,
  redactText,
} from '../src';
import { captureLogs, type LogLine } from '../src/testing';

/** The lines both loggers write for `calls`, without their times. */
function bothLoggers(
  calls: (logger: { info(fields: object, msg?: string): void; error(f: object): void }) => void,
): { pino: LogLine[]; light: LogLine[]; text: string } {
  const pinoLogs = captureLogs();
  const lightLogs = captureLogs();
  calls(createLogger({ service: 's', destination: pinoLogs.destination }));
  calls(createLambdaLogger({ service: 's', destination: lightLogs.destination }));
  const untimed = (lines: readonly LogLine[]) =>
    lines.map(({ time: _time, ...rest }) => rest as LogLine);
  return {
    pino: untimed(pinoLogs.lines),
    light: untimed(lightLogs.lines),
    text: pinoLogs.text() + lightLogs.text(),
  };
}

describe('log redaction (createLogger and createLambdaLogger)', () => {
  it('redacts secret-named keys whatever their case (Authorization, X-Api-Key, API_KEY)', () => {
    const { pino, light, text } = bothLoggers((logger) =>
      logger.info(
        {
          headers: { Authorization: 'Bearer LEAK-1', 'X-Api-Key': 'LEAK-2', Accept: 'json' },
          API_KEY: 'LEAK-3',
          Cookie: 'sid=LEAK-4',
        },
        'capitalised',
      ),
    );
    expect(light).toEqual(pino);
    expect(pino[0]).toMatchObject({
      headers: { Authorization: '[redacted]', 'X-Api-Key': '[redacted]', Accept: 'json' },
      API_KEY: '[redacted]',
      Cookie: '[redacted]',
    });
    expect(text).not.toContain('LEAK');
  });

  it("redacts secret-named keys at any depth: a Connect event's Details.Parameters, arrays of requests", () => {
    const event = {
      Details: {
        ContactData: { ContactId: 'c-1', Attributes: { note: 'kept' } },
        Parameters: { oauthClientSecret: 'LEAK-1', apiKey: 'LEAK-2', action: 'start' },
      },
    };
    const { pino, light, text } = bothLoggers((logger) =>
      logger.info(
        {
          event,
          requests: [{ headers: { authorization: 'Bearer LEAK-3' } }, [{ password: 'LEAK-4' }]],
          a: { b: { c: { d: { e: { clientSecret: 'LEAK-5' } } } } },
        },
        'deep',
      ),
    );
    expect(light).toEqual(pino);
    expect(pino[0]).toMatchObject({
      event: {
        Details: {
          ContactData: { ContactId: 'c-1', Attributes: { note: 'kept' } },
          Parameters: { oauthClientSecret: '[redacted]', apiKey: '[redacted]', action: 'start' },
        },
      },
      requests: [{ headers: { authorization: '[redacted]' } }, [{ password: '[redacted]' }]],
    });
    expect(text).not.toContain('LEAK');
    expect(event.Details.Parameters.apiKey).toBe('LEAK-2'); // the caller's object is left alone
  });

  it("redacts an error's properties (an HTTP client's config.headers) and its cause, and keeps it an error", () => {
    const cause = Object.assign(new Error('connect refused'), {
      headers: { authorization: 'Bearer LEAK-1' },
    });
    const err = Object.assign(new Error('request failed', { cause }), {
      config: { url: '/v1/x', headers: { Authorization: 'Bearer LEAK-2' } },
      response: { data: { access_token: 'LEAK-3' } },
    });
    const plainCause = Object.assign(new Error('wrapped'), {
      cause: { headers: { 'x-api-key': 'LEAK-4' } },
    });
    const logs = captureLogs();
    const logger = createLogger({ service: 's', destination: logs.destination });
    logger.error({ err }, 'failed');
    logger.error({ err: plainCause }, 'failed');
    logger.error(err);
    expect(logs.lines[0]).toMatchObject({
      err: {
        type: 'Error',
        message: 'request failed: connect refused',
        stack: expect.stringMatching(/^Error: request failed\n\s+at /),
        config: { url: '/v1/x', headers: { Authorization: '[redacted]' } },
        response: { data: { access_token: '[redacted]' } },
      },
    });
    expect(logs.lines[1]).toMatchObject({
      err: { cause: { headers: { 'x-api-key': '[redacted]' } } },
    });
    expect(logs.text()).not.toContain('LEAK');
    const light = captureLogs();
    const lambda = createLambdaLogger({ service: 's', destination: light.destination });
    lambda.error(err);
    lambda.error({ err: plainCause, cause }, 'failed');
    expect(light.text()).not.toContain('LEAK');
    expect(light.lines[0]).toMatchObject({
      msg: 'request failed',
      err: { type: 'Error', config: { headers: { Authorization: '[redacted]' } } },
    });
    expect(err.config.headers.Authorization).toBe('Bearer LEAK-2');
  });

  it('keeps a value an app already redacted (its own [REDACTED] marker) as it is', () => {
    const { pino, light } = bothLoggers((logger) =>
      logger.info({ event: { Details: { Parameters: { apiKey: '[REDACTED]' } } } }, 'twice'),
    );
    expect(light).toEqual(pino);
    expect(pino[0]).toMatchObject({ event: { Details: { Parameters: { apiKey: '[REDACTED]' } } } });
  });

  it('keeps numbers, booleans and empty text under secret-named keys, and keys that describe a secret', () => {
    const { pino, light } = bothLoggers((logger) =>
      logger.info(
        {
          maxTokens: 4096,
          fencingToken: 7,
          cookie: false,
          token: '',
          tokenCount: 12,
          tokenType: 'Bearer',
          secretArn: 'arn:aws:secretsmanager:eu-west-1:1:secret:x',
          apiKeyId: 'k-1',
          key: 'recordings/a.wav',
        },
        'counts',
      ),
    );
    expect(light).toEqual(pino);
    expect(pino[0]).toMatchObject({
      maxTokens: 4096,
      fencingToken: 7,
      cookie: false,
      token: '',
      tokenCount: 12,
      tokenType: 'Bearer',
      secretArn: 'arn:aws:secretsmanager:eu-west-1:1:secret:x',
      apiKeyId: 'k-1',
      key: 'recordings/a.wav',
    });
  });

  it('takes credentials out of URLs and query strings in any text, the message included', () => {
    const { pino, light, text } = bothLoggers((logger) => {
      logger.info(
        {
          url: 'https://svc:LEAK-1@api.example.com/v1?access_token=LEAK-2&page=2',
          upgrade: { path: '/ws?token=LEAK-3&lang=en' },
          presigned: [
            'https://b.s3.amazonaws.com/k?X-Amz-Signature=LEAK-4&X-Amz-Security-Token=LEAK-5',
          ],
          link: new URL('wss://u:LEAK-6@host.example/a?key=LEAK-7'),
          body: 'grant_type=client_credentials&client_secret=LEAK-8',
        },
        'calling https://u:LEAK-9@h.example/?api_key=LEAK-10',
      );
    });
    expect(light).toEqual(pino);
    expect(pino[0]).toMatchObject({
      url: 'https://[redacted]@api.example.com/v1?access_token=[redacted]&page=2',
      upgrade: { path: '/ws?token=[redacted]&lang=en' },
      presigned: [
        'https://b.s3.amazonaws.com/k?X-Amz-Signature=[redacted]&X-Amz-Security-Token=[redacted]',
      ],
      link: 'wss://[redacted]@host.example/a?key=[redacted]',
      body: 'grant_type=client_credentials&client_secret=[redacted]',
      msg: 'calling https://[redacted]@h.example/?api_key=[redacted]',
    });
    expect(text).not.toContain('LEAK');
  });

  it('writes a cycle as [Circular] without writing the original object again', () => {
    const loop: Record<string, unknown> = { token: 'LEAK-1', name: 'n' };
    loop['self'] = loop;
    loop['list'] = [loop, { inner: loop }];
    const { pino, light, text } = bothLoggers((logger) => logger.info({ loop }, 'cyclic'));
    expect(light).toEqual(pino);
    expect(pino[0]).toMatchObject({
      loop: {
        token: '[redacted]',
        name: 'n',
        self: '[Circular]',
        list: ['[Circular]', { inner: '[Circular]' }],
      },
    });
    expect(text).not.toContain('LEAK');
  });

  it('writes objects nested deeper than 10 levels as "[redacted: too deep]"', () => {
    let deep: Record<string, unknown> = { password: 'LEAK-1' };
    for (let i = 0; i < 5000; i++) deep = { next: deep };
    const { pino, light, text } = bothLoggers((logger) => logger.info({ deep }, 'deep'));
    expect(light).toEqual(pino);
    expect(text).not.toContain('LEAK');
    expect(text).toContain('[redacted: too deep]');
    expect(JSON.stringify(pino[0]).match(/"next"/g)).toHaveLength(10);
  });

  it('cuts a line after 10,000 keys and items, so a huge or self-repeating value stays cheap', () => {
    let fan: unknown = { secret: 'LEAK-1' };
    for (let i = 0; i < 24; i++) fan = { a: fan, b: fan }; // 2^24 paths to the same leaf
    const big = Array.from({ length: 50_000 }, (_, i) => ({ i }));
    const logs = captureLogs();
    const logger = createLogger({ service: 's', destination: logs.destination });
    const started = process.hrtime.bigint();
    logger.info({ fan, big }, 'huge');
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    expect(ms).toBeLessThan(2000);
    expect(logs.text()).not.toContain('LEAK');
    expect(logs.text().length).toBeLessThan(1_000_000);
    expect(logs.text()).toMatch(/"\[truncated\]":"\d+ more keys"|\[truncated\] \d+ more items/);
  });

  it('writes a line when a getter throws', () => {
    const odd = Object.defineProperty({ ok: 1 }, 'broken', {
      enumerable: true,
      get() {
        throw new Error('no');
      },
    });
    const logs = captureLogs();
    createLogger({ service: 's', destination: logs.destination }).info({ odd }, 'odd');
    expect(logs.lines[0]).toMatchObject({ msg: 'odd', odd: { ok: 1, broken: '[unreadable]' } });
  });
});

describe('log redaction: name/value lists, toJSON, hostile keys', () => {
  it("redacts the values of secret-named headers in Node's rawHeaders [name, value, ...] lists", () => {
    const rawHeaders = [
      'Host',
      'h.example',
      'X-Api-Key',
      'LEAK-1',
      'Authorization',
      'Token LEAK-2',
      'Cookie',
      'sid=LEAK-3',
      'Ocp-Apim-Subscription-Key',
      'LEAK-4',
      'Accept',
      'token',
    ];
    const stripped = ['Authorization', 'Cookie', 'X-Api-Key', 'Set-Cookie']; // names only
    const { pino, light, text } = bothLoggers((logger) =>
      logger.info({ req: { rawHeaders }, stripped }, 'upgrade'),
    );
    expect(pino[0]).toMatchObject({ stripped });
    expect(light).toEqual(pino);
    expect(pino[0]).toMatchObject({
      req: {
        rawHeaders: [
          'Host',
          'h.example',
          'X-Api-Key',
          '[redacted]',
          'Authorization',
          '[redacted]',
          'Cookie',
          '[redacted]',
          'Ocp-Apim-Subscription-Key',
          '[redacted]',
          'Accept',
          'token',
        ],
      },
    });
    expect(text).not.toContain('LEAK');
  });

  it('redacts what toJSON() returns (the JSON of the line), and a toJSON that throws writes a line', () => {
    class Credentials {
      readonly #token = 'LEAK-1';
      readonly region = 'eu-west-1';
      toJSON(): object {
        return { region: this.region, token: this.#token };
      }
    }
    const broken = {
      toJSON(): never {
        throw new Error('no JSON');
      },
    };
    const { pino, light, text } = bothLoggers((logger) =>
      logger.info({ creds: new Credentials(), list: [new Credentials()], broken }, 'creds'),
    );
    expect(light).toEqual(pino);
    expect(pino[0]).toMatchObject({
      creds: { region: 'eu-west-1', token: '[redacted]' },
      list: [{ region: 'eu-west-1', token: '[redacted]' }],
      broken: '[unreadable]',
      msg: 'creds',
    });
    expect(text).not.toContain('LEAK');
  });

  it('counts the bytes of a Buffer against the 10,000-entry budget: a 1 MB frame is not a 4 MB line', () => {
    const { pino, light, text } = bothLoggers((logger) =>
      logger.info({ small: Buffer.from([1, 2]), frame: Buffer.alloc(1_000_000) }, 'frame'),
    );
    expect(light).toEqual(pino);
    expect(pino[0]).toMatchObject({
      small: { type: 'Buffer', data: [1, 2] },
      frame: '[truncated] Buffer of 1000000 bytes',
    });
    expect(text.length).toBeLessThan(10_000);
  });

  it('decides on a long all-capitals key in linear time (no backtracking regex)', () => {
    const key = `${'A'.repeat(200_000)}_TOKEN`;
    expect(isSecretKey(key)).toBe(true);
    expect(redactText(`/cb?${'K'.repeat(200_000)}=1`)).toBe(`/cb?${'K'.repeat(200_000)}=1`);
  });
});

describe('isSecretKey', () => {
  it('matches every key of the former fixed list', () => {
    for (const key of DEFAULT_REDACT_KEYS) expect([key, isSecretKey(key)]).toEqual([key, true]);
  });

  it.each([
    'Authorization',
    'PROXY-AUTHORIZATION',
    'X-API-KEY',
    'xApiKey',
    'apikey',
    'oauthClientSecret',
    'OAuthClientSecret',
    'SecretString',
    'secretAccessKey',
    'AWS_SECRET_ACCESS_KEY',
    'X-Amz-Security-Token',
    'sessionToken',
    'idToken',
    'refresh_token',
    'tokens',
    'db_password',
    'passwd',
    'passphrase',
    'Set-Cookie',
    'credentials',
    'signature-input',
    'privateKey',
    'client_key',
    'bearer',
    'Ocp-Apim-Subscription-Key',
    'X-Auth-Key',
  ])('names a secret: %s', (key) => {
    expect(isSecretKey(key)).toBe(true);
  });

  it.each([
    'tokenCount',
    'tokenType',
    'token_type',
    'tokenExpiresIn',
    'refresh_token_expires_in',
    'tokenizer',
    'secretArn',
    'oauthSecretArn',
    'SecretId',
    'secretName',
    'client_secret_env',
    'apiKeyId',
    'keyid',
    'key',
    'Key',
    'monkey',
    'authorized',
    'authentication',
    'signatureVerification',
    'accessKeyId',
    'sessionId',
  ])('does not name a secret: %s', (key) => {
    expect(isSecretKey(key)).toBe(false);
  });
});

describe('redactText', () => {
  it.each([
    ['https://u:pw@h.example/x', 'https://[redacted]@h.example/x'],
    ['postgres://app:pw@db:5432/x', 'postgres://[redacted]@db:5432/x'],
    ['/ws?token=abc&lang=en', '/ws?token=[redacted]&lang=en'],
    [
      'https://h/x?sig=1&Signature=2&password=3&secret=4',
      'https://h/x?sig=[redacted]&Signature=[redacted]&password=[redacted]&secret=[redacted]',
    ],
    ['?code=oauth-code&state=s', '?code=[redacted]&state=s'],
    ['Authorization: Bearer abcdefghijkl', 'Authorization: Bearer [redacted]'],
    ['Basic dXNlcjpwYXNz', '[redacted]'],
    ['id eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln', 'id [redacted]'],
  ])('takes the credential out of %s', (text, expected) => {
    expect(redactText(text)).toBe(expected);
  });

  it.each([
    'https://example.com/a@b',
    'mailto:someone@example.com',
    'missing Bearer token',
    'Basic authentication failed',
    'a=b c=d',
    'e160e428-53e2-487c-977d-96989bf5c99d',
  ])('leaves %s as it is', (text) => {
    expect(redactText(text)).toBe(text);
  });
});
