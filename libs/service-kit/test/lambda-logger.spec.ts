import { join } from 'node:path';
import { build } from 'esbuild';
import { createLambdaLogger, createLogger, REDACTED } from '../src';
import * as lambdaEntry from '../src/lambda';
import { compileRedaction, parseRedactPath } from '../src/lib/redaction';
import { captureLogs, type LogLine } from '../src/testing';

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

type Calls = (logger: {
  info(fields: object, msg?: string): void;
  debug(fields: object, msg?: string): void;
  error(fields: object, msg?: string): void;
  child(bindings: Record<string, unknown>): {
    info(fields: object, msg?: string): void;
    warn(msg: string): void;
  };
}) => void;

/** The lines both loggers write for the same calls, without their times. */
function bothWrite(calls: Calls, redactPaths: readonly string[] = []) {
  const pinoLogs = captureLogs();
  const lightLogs = captureLogs();
  const options = { service: 'svc', level: 'info' as const, redactPaths };
  calls(createLogger({ ...options, destination: pinoLogs.destination }));
  calls(createLambdaLogger({ ...options, destination: lightLogs.destination }));
  const untimed = (lines: readonly LogLine[]) =>
    lines.map(({ time, ...rest }) => {
      expect(time).toMatch(ISO_TIME);
      return rest;
    });
  return { pino: untimed(pinoLogs.lines), light: untimed(lightLogs.lines) };
}

describe('createLambdaLogger', () => {
  it('writes the lines the pino logger writes: fields, message, child bindings, level filter', () => {
    const { pino, light } = bothWrite((logger) => {
      logger.info({ port: 3000, nested: { a: [1, 'b'] } }, 'listening');
      logger.debug({ hidden: true }, 'below the level');
      logger.info({}, 'no fields');
      logger.child({ requestId: 'r-1' }).info({ action: 'get_handoff_data' }, 'invoked');
      logger.child({ requestId: 'r-2' }).warn('only a message');
    });
    expect(light).toEqual(pino);
    expect(light.map((l) => Object.keys(l))).toEqual(pino.map((l) => Object.keys(l)));
    expect(light).toHaveLength(4);
  });

  it('redacts the default keys and extra paths where the pino logger does', () => {
    const secretish = {
      authorization: 'Bearer SEKRET-1',
      'x-api-key': 'SEKRET-2',
      headers: { authorization: 'Basic SEKRET-3', accept: 'json' },
      outer: { password: 'SEKRET-4', keep: 1, deeper: { apiKey: 'SEKRET-5' } },
      parameters: { oauthClientSecret: 'SEKRET-6', name: 'n' },
      oauthClientSecret: 'SEKRET-7',
    };
    const paths = ['oauthClientSecret', '*.oauthClientSecret', '*.*.apiKey'];
    const { pino, light } = bothWrite((logger) => {
      logger.info(secretish, 'request');
      logger.child({ token: 'SEKRET-8' }).info({ ok: true }, 'child');
    }, paths);
    expect(light).toEqual(pino);
    expect(JSON.stringify(light)).not.toContain('SEKRET');
    expect(secretish.outer.password).toBe('SEKRET-4'); // the caller's object is left alone
  });

  it('logs an Error given first as err with its message, like pino', () => {
    const boom = new TypeError('boom');
    const bad = new RangeError('bad');
    const { pino, light } = bothWrite((logger) => {
      logger.error(boom as unknown as object);
      logger.error({ err: bad }, 'failed');
    });
    expect(light).toEqual(pino);
    expect(light[0]).toMatchObject({ msg: 'boom', err: { type: 'TypeError', message: 'boom' } });
  });

  it('survives cycles and bigints in fields, and changes level on request', () => {
    const logs = captureLogs();
    const logger = createLambdaLogger({ service: 's', destination: logs.destination });
    const cyclic: Record<string, unknown> = { name: 'c' };
    cyclic['self'] = cyclic;
    logger.info({ cyclic, big: 10n, shared: [cyclic.name, cyclic.name] }, 'odd values');
    logger.level = 'error';
    logger.warn('dropped');
    expect(logger.isLevelEnabled('warn')).toBe(false);
    logger.level = 'silent';
    logger.error('dropped too');
    expect(logs.lines).toEqual([
      expect.objectContaining({
        cyclic: { name: 'c', self: '[Circular]' },
        big: '10',
        shared: ['c', 'c'],
        msg: 'odd values',
      }),
    ]);
    expect(() => {
      logger.level = 'loud' as 'info';
    }).toThrow(/unknown log level/);
  });
});

describe('redaction paths', () => {
  it('reads the pino path forms the kit writes', () => {
    expect(parseRedactPath('a.b')).toEqual(['a', 'b']);
    expect(parseRedactPath('*["x-api-key"]')).toEqual(['*', 'x-api-key']);
    expect(parseRedactPath('*.headers["set-cookie"]')).toEqual(['*', 'headers', 'set-cookie']);
    expect(parseRedactPath("x['y']")).toEqual(['x', 'y']);
    expect(() => parseRedactPath('a..b')).toThrow(/redaction path/);
    expect(() => parseRedactPath('')).toThrow(/redaction path/);
  });

  it('copies only what it changes', () => {
    const kept = { c: 1 };
    const input = { a: { secret: 's', kept }, list: [{ secret: 1 }, { other: 2 }] };
    const out = compileRedaction(['a.secret', 'list.*.secret'])(input);
    expect(out).toEqual({
      a: { secret: REDACTED, kept },
      list: [{ secret: REDACTED }, { other: 2 }],
    });
    expect(out.a.kept).toBe(kept);
    expect(input.a.secret).toBe('s');
  });
});

describe('the @org/service-kit/lambda entry', () => {
  it('exports the Lambda logger and the error base of the main entry, without the rest of the kit', async () => {
    const main = await import('../src');
    expect(lambdaEntry.createLambdaLogger).toBe(main.createLambdaLogger);
    expect(lambdaEntry.ServiceError).toBe(main.ServiceError);
    expect(lambdaEntry.ConfigError).toBe(main.ConfigError);
    for (const heavy of ['createLogger', 'createMetrics', 'parseEnv', 'startTracing']) {
      expect(Object.keys(lambdaEntry)).not.toContain(heavy);
    }
  });

  it('bundles without pino, zod, prom-client or OpenTelemetry', async () => {
    const result = await build({
      entryPoints: [join(__dirname, '../src/lambda.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((p) => p.includes('node_modules'))).toEqual([]);
  });
});
