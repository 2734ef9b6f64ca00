import { TraceFlags, trace } from '@opentelemetry/api';
import {
  createLogger,
  DEFAULT_REDACT_KEYS,
  flushLogger,
  rawLineWriter,
  redactPathsFor,
  sessionLogger,
  spanFields,
} from '../src';
import { captureLogs } from '../src/testing';

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('createLogger', () => {
  it('writes level words, ISO time, the service and the message, in that order', () => {
    const logs = captureLogs();
    const logger = createLogger({
      service: 'svc-test',
      level: 'debug',
      destination: logs.destination,
    });
    logger.debug({ port: 3000 }, 'listening');
    expect(logs.lines).toHaveLength(1);
    const line = logs.lines[0];
    expect(Object.keys(line ?? {})).toEqual(['level', 'time', 'service', 'port', 'msg']);
    expect(line).toEqual({
      level: 'debug',
      time: expect.stringMatching(ISO_TIME),
      service: 'svc-test',
      port: 3000,
      msg: 'listening',
    });
  });

  it('drops lines below the level and writes nothing when silent', () => {
    const logs = captureLogs();
    createLogger({ service: 's', level: 'warn', destination: logs.destination }).info('hidden');
    createLogger({ service: 's', level: 'silent', destination: logs.destination }).fatal('hidden');
    expect(logs.lines).toEqual([]);
  });

  it('defaults to info', () => {
    const logs = captureLogs();
    const logger = createLogger({ service: 's', destination: logs.destination });
    logger.debug('hidden');
    logger.info('shown');
    expect(logs.lines.map((l) => l.level)).toEqual(['info']);
  });

  it('redacts secrets at the top level, one level down and under headers', () => {
    const logs = captureLogs();
    const logger = createLogger({
      service: 's',
      destination: logs.destination,
      redactPaths: ['connectUri', '*.connectUri'],
    });
    logger.info(
      {
        authorization: 'Bearer abc',
        password: 'p',
        clientSecret: 'c',
        token: 't',
        access_token: 'a',
        apiKey: 'k',
        config: { secret: 's', password: 'p2', name: 'kept' },
        headers: {
          'x-api-key': 'key',
          signature: 'sig',
          'signature-input': 'keyid="key"',
          cookie: 'c=1',
          'content-type': 'kept',
        },
        request: { headers: { authorization: 'Basic x', 'x-api-key': 'key2' } },
        channel: { connectUri: 'wss://secret' },
        connectUri: 'wss://secret2',
      },
      'request',
    );
    const line = logs.lines[0] ?? {};
    expect(line).toMatchObject({
      authorization: '[redacted]',
      password: '[redacted]',
      clientSecret: '[redacted]',
      token: '[redacted]',
      access_token: '[redacted]',
      apiKey: '[redacted]',
      config: { secret: '[redacted]', password: '[redacted]', name: 'kept' },
      headers: {
        'x-api-key': '[redacted]',
        signature: '[redacted]',
        'signature-input': '[redacted]',
        cookie: '[redacted]',
        'content-type': 'kept',
      },
      request: { headers: { authorization: '[redacted]', 'x-api-key': '[redacted]' } },
      channel: { connectUri: '[redacted]' },
      connectUri: '[redacted]',
    });
    expect(logs.text()).not.toMatch(/abc|wss:|keyid|Basic x/);
  });

  it('redacts child bindings and keeps an error with a secret field an error (type, message, stack)', () => {
    const logs = captureLogs();
    const logger = createLogger({ service: 's', destination: logs.destination });
    const err = Object.assign(new TypeError('refused'), { code: 'E_AUTH', token: 'SEKRET-1' });
    const audio = Buffer.alloc(4096, 1);
    logger.child({ sessionId: 'x', apiKey: 'SEKRET-2' }).error({ err, audio: { audio } }, 'failed');
    const line = logs.lines[0] ?? {};
    expect(line).toMatchObject({
      sessionId: 'x',
      apiKey: '[redacted]',
      err: { type: 'TypeError', message: 'refused', code: 'E_AUTH', token: '[redacted]' },
    });
    expect((line as { err?: { stack?: string } }).err?.stack).toMatch(
      /^TypeError: refused\n\s+at /,
    );
    expect(logs.text()).not.toContain('SEKRET');
    expect(err.token).toBe('SEKRET-1'); // the caller's error is left alone
  });

  it('redacts under a wildcard at any position and leaves arrays arrays', () => {
    const logs = captureLogs();
    const logger = createLogger({
      service: 's',
      destination: logs.destination,
      redactPaths: ['*.*.pin', 'calls.*', 'list.*.code'],
    });
    logger.info(
      {
        a: { b: { pin: '1234', keep: 1 } },
        calls: { one: 'SEKRET-3', two: 'SEKRET-4' },
        list: [{ code: 'SEKRET-5' }, { other: 2 }],
      },
      'wildcards',
    );
    expect(logs.lines[0]).toMatchObject({
      a: { b: { pin: '[redacted]', keep: 1 } },
      calls: { one: '[redacted]', two: '[redacted]' },
      list: [{ code: '[redacted]' }, { other: 2 }],
    });
    expect(logs.text()).not.toMatch(/SEKRET|1234/);
  });

  it('builds redaction paths with brackets for header-style keys', () => {
    expect(redactPathsFor(['x-api-key', 'token'])).toEqual([
      '["x-api-key"]',
      '*["x-api-key"]',
      'headers["x-api-key"]',
      '*.headers["x-api-key"]',
      'token',
      '*.token',
      'headers.token',
      '*.headers.token',
    ]);
    expect(DEFAULT_REDACT_KEYS).toEqual(
      expect.arrayContaining(['authorization', 'x-api-key', 'signature', 'signature-input']),
    );
  });

  it('adds no trace fields when no span is active', () => {
    const logs = captureLogs();
    createLogger({ service: 's', destination: logs.destination }).info('plain');
    expect(logs.lines[0]).not.toHaveProperty('trace_id');
    expect(logs.lines[0]).not.toHaveProperty('span_id');
  });
});

describe('sessionLogger', () => {
  it('puts sessionId and the bindings on every line of the session', () => {
    const logs = captureLogs();
    const logger = createLogger({ service: 'audiohook-server', destination: logs.destination });
    const log = sessionLogger(logger, 'e160e428-53e2-487c-977d-96989bf5c99d', {
      endpoint: 'audiohook',
    });
    log.info('opened');
    log.child({ component: 'recorder' }).warn({ bytes: 3 }, 'slow disk');
    expect(logs.lines).toEqual([
      {
        level: 'info',
        time: expect.stringMatching(ISO_TIME),
        service: 'audiohook-server',
        sessionId: 'e160e428-53e2-487c-977d-96989bf5c99d',
        endpoint: 'audiohook',
        msg: 'opened',
      },
      expect.objectContaining({
        level: 'warn',
        sessionId: 'e160e428-53e2-487c-977d-96989bf5c99d',
        component: 'recorder',
        bytes: 3,
        msg: 'slow disk',
      }),
    ]);
  });

  it("binds a session span's ids to every line, once", () => {
    const logs = captureLogs();
    const logger = createLogger({ service: 's', destination: logs.destination });
    const span = trace.wrapSpanContext({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: TraceFlags.SAMPLED,
    });
    sessionLogger(logger, 'id-1', {}, { span }).info('inside');
    expect(logs.lines[0]).toMatchObject({
      sessionId: 'id-1',
      trace_id: '0af7651916cd43dd8448eb211c80319c',
      span_id: 'b7ad6b7169203331',
    });
    expect(logs.text().match(/trace_id/g)).toHaveLength(1);
    expect(spanFields(trace.wrapSpanContext({ traceId: '0', spanId: '0', traceFlags: 0 }))).toEqual(
      {},
    );
  });
});

describe('flushLogger and rawLineWriter', () => {
  it('writes raw lines through the same destination, in order with the log lines', async () => {
    const logs = captureLogs();
    const logger = createLogger({ service: 's', destination: logs.destination });
    logger.info('before');
    rawLineWriter(logger.child({ a: 1 }))('{"_aws":{}}');
    logger.info('after');
    await flushLogger(logger);
    expect(logs.lines.map((l) => l.msg ?? 'raw')).toEqual(['before', 'raw', 'after']);
  });

  it('rejects a buffered flush interval a Node.js timer cannot keep', () => {
    for (const flushIntervalMs of [2 ** 31, Infinity, Number.NaN, 0]) {
      expect(() => createLogger({ service: 's', buffered: true, flushIntervalMs })).toThrow(
        expect.objectContaining({ code: 'SVC_ERR_DURATION' }) as unknown as Error,
      );
    }
  });

  it('waits for the flush when given an infinite timeout, instead of resolving after 1 ms', async () => {
    let flushed: (() => void) | undefined;
    const logger = createLogger({ service: 's', destination: { write: () => undefined } });
    logger.flush = ((done?: (error?: Error) => void) => {
      flushed = () => done?.();
    }) as typeof logger.flush;
    let resolved = false;
    const waiting = flushLogger(logger, Infinity).then(() => {
      resolved = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(resolved).toBe(false);
    flushed?.();
    await waiting;
    expect(resolved).toBe(true);
  });

  it('resolves for a destination without flush', async () => {
    const logger = createLogger({ service: 's', destination: { write: () => undefined } });
    await expect(flushLogger(logger)).resolves.toBeUndefined();
  });
});
