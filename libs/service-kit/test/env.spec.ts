import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import {
  ConfigError,
  envBool,
  envDuration,
  envEnum,
  envEnumList,
  envInt,
  envList,
  envLogLevel,
  envNumber,
  envString,
  envUrl,
  MAX_TIMER_MS,
  parseDurationMs,
  parseEnv,
  readDotEnv,
  secret,
  ServiceKitError,
} from '../src/env';

function issuesOf(run: () => unknown): Record<string, string> {
  try {
    run();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return Object.fromEntries(error.issues.map((i) => [i.variable, i.reason]));
  }
  throw new Error('expected a ConfigError');
}

describe('parseEnv', () => {
  const shape = {
    PORT: envInt({ default: 3000, min: 0, max: 65535 }),
    HOST: envString({ default: '127.0.0.1' }),
    BUCKET: envString({ optional: true }),
    API_KEY: envString({ secret: true }),
    RECORD: envBool({ default: true }),
    MODE: envEnum(['close', 'append'], { default: 'close' }),
    LOG_LEVEL: envLogLevel(),
  };

  it('returns typed values with defaults, trims, and treats empty as unset', () => {
    const env = parseEnv(shape, { API_KEY: ' k ', PORT: '8080', HOST: '', MODE: 'append' });
    expect(env).toEqual({
      PORT: 8080,
      HOST: '127.0.0.1',
      BUCKET: undefined,
      API_KEY: 'k',
      RECORD: true,
      MODE: 'append',
      LOG_LEVEL: 'info',
    });
    const port: number = env.PORT;
    const bucket: string | undefined = env.BUCKET;
    const mode: 'close' | 'append' = env.MODE;
    expect([port, bucket, mode]).toEqual([8080, undefined, 'append']);
  });

  it('lists every bad variable by name with its reason and value in one ConfigError', () => {
    let caught: unknown;
    try {
      parseEnv(shape, { PORT: '70000', RECORD: 'maybe', MODE: 'x', LOG_LEVEL: '30' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const error = caught as ConfigError;
    expect(error.code).toBe('SVC_ERR_CONFIG');
    expect(error.issues).toEqual([
      { variable: 'PORT', reason: 'must be at most 65535 (got "70000")' },
      { variable: 'API_KEY', reason: 'is required' },
      { variable: 'RECORD', reason: 'must be true, false, 1, 0, yes or no (got "maybe")' },
      { variable: 'MODE', reason: 'must be one of close, append (got "x")' },
      {
        variable: 'LOG_LEVEL',
        reason: 'must be one of fatal, error, warn, info, debug, trace, silent (got "30")',
      },
    ]);
    expect(error.message).toBe(
      `invalid configuration: ${error.issues.map((i) => `${i.variable}: ${i.reason}`).join('; ')}`,
    );
    expect(error.details).toEqual({
      variables: ['PORT', 'API_KEY', 'RECORD', 'MODE', 'LOG_LEVEL'],
    });
  });

  it('never echoes the value of a secret variable', () => {
    const issues = issuesOf(() =>
      parseEnv(
        {
          CLIENT_SECRET: envString({ secret: true, minLength: 20 }),
          TOKEN: secret(envString({ pattern: /^tok_/, patternReason: 'must start with tok_' })),
        },
        { CLIENT_SECRET: 'hunter2', TOKEN: 'hunter3' },
      ),
    );
    expect(issues).toEqual({
      CLIENT_SECRET: 'must be at least 20 characters',
      TOKEN: 'must start with tok_',
    });
    expect(JSON.stringify(issues)).not.toMatch(/hunter/);
  });

  it('cuts a long bad value to 64 characters in the message', () => {
    const issues = issuesOf(() => parseEnv({ N: envInt() }, { N: 'x'.repeat(500) }));
    expect(issues['N']).toBe(`must be a whole number (got "${'x'.repeat(64)}…")`);
  });

  it('accepts plain zod schemas beside the kit helpers', () => {
    const env = parseEnv(
      { REGION: z.string().default('us-east-1'), TIER: z.enum(['a', 'b']) },
      { TIER: 'b' },
    );
    expect(env).toEqual({ REGION: 'us-east-1', TIER: 'b' });
    expect(issuesOf(() => parseEnv({ TIER: z.enum(['a', 'b']) }, {}))).toEqual({
      TIER: 'is required',
    });
  });
});

describe('field helpers', () => {
  const one = <T>(field: z.ZodType<T, string | undefined>, value: string | undefined): T =>
    parseEnv({ V: field }, { V: value }).V;
  const reason = (field: z.ZodType<unknown, string | undefined>, value: string) =>
    issuesOf(() => parseEnv({ V: field }, { V: value }))['V'];

  it('reads integers with bounds and rejects fractions and words', () => {
    expect(one(envInt({ min: -5 }), '-5')).toBe(-5);
    expect(one(envInt(), '+7')).toBe(7);
    expect(reason(envInt(), '1.5')).toBe('must be a whole number (got "1.5")');
    expect(reason(envInt(), '99999999999999999999')).toMatch(/^must be a whole number/);
    expect(reason(envInt({ min: 1 }), '0')).toBe('must be at least 1 (got "0")');
  });

  it('reads numbers with bounds', () => {
    expect(one(envNumber({ min: 0, max: 1 }), '0.25')).toBe(0.25);
    expect(one(envNumber(), '1e3')).toBe(1000);
    expect(reason(envNumber(), 'NaN')).toBe('must be a number (got "NaN")');
    expect(reason(envNumber({ max: 1 }), '1.5')).toBe('must be at most 1 (got "1.5")');
  });

  it('reads booleans as true/false/1/0/yes/no in any case, and y/n/on/off when loose', () => {
    for (const word of ['true', 'TRUE', '1', 'yes', 'Yes']) expect(one(envBool(), word)).toBe(true);
    for (const word of ['false', 'False', '0', 'no', 'NO'])
      expect(one(envBool(), word)).toBe(false);
    expect(one(envBool({ default: false }), undefined)).toBe(false);
    expect(reason(envBool(), 'on')).toMatch(/^must be true, false, 1, 0, yes or no/);
    for (const word of ['y', 'On']) expect(one(envBool({ loose: true }), word)).toBe(true);
    for (const word of ['N', 'off']) expect(one(envBool({ loose: true }), word)).toBe(false);
    expect(reason(envBool({ loose: true }), 'maybe')).toMatch(
      /^must be true, false, 1, 0, yes, no, y, n, on or off/,
    );
  });

  it('reads comma lists, dropping empty items, and enumerated lists', () => {
    expect(one(envList(), ' a, b ,,c ')).toEqual(['a', 'b', 'c']);
    expect(one(envList({ default: ['x'] }), undefined)).toEqual(['x']);
    expect(reason(envList({ minItems: 1 }), ',,')).toBe('must list at least 1 item(s) (got ",,")');
    const matchers = envEnumList(['id-prefix', 'name', 'topic'], { minItems: 1 });
    expect(one(matchers, 'topic,name')).toEqual(['topic', 'name']);
    expect(reason(matchers, 'name,bogus')).toBe(
      'may only list id-prefix, name, topic (1 unknown item(s)) (got "name,bogus")',
    );
  });

  it('reads URLs with the allowed schemes', () => {
    expect(one(envUrl(), 'http://127.0.0.1:4318')).toBe('http://127.0.0.1:4318');
    expect(reason(envUrl(), 'localhost:4318')).toMatch(/^must be an? /);
    expect(reason(envUrl(), 'ftp://x')).toBe('must be a http or https URL (got "ftp://x")');
    expect(one(envUrl({ protocols: ['wss:'] }), 'wss://h/p')).toBe('wss://h/p');
  });

  it('reads durations as milliseconds from a bare number in the unit or with suffixes', () => {
    const seconds = envDuration({ unit: 's', defaultMs: 60_000, minMs: 1000 });
    expect(one(seconds, undefined)).toBe(60_000);
    expect(one(seconds, '90')).toBe(90_000);
    expect(one(seconds, '1m30s')).toBe(90_000);
    expect(one(seconds, '1500ms')).toBe(1500);
    expect(one(envDuration({ unit: 'ms' }), '250')).toBe(250);
    expect(reason(seconds, '0.5')).toBe('must be at least 1000 ms (got "0.5")');
    expect(reason(seconds, '5 minutes')).toMatch(/^must be a duration: a number of seconds/);
    expect(parseDurationMs('1.5h', 'ms')).toBe(5_400_000);
    expect(parseDurationMs('-1', 's')).toBeUndefined();
  });

  it('rejects a duration longer than a Node.js timer keeps (2^31-1 ms), naming the variable', () => {
    const shape = {
      DRAIN_TIMEOUT_MS: envDuration({ unit: 'ms', defaultMs: 30_000 }),
      EMF_INTERVAL_SECONDS: envDuration({ unit: 's', defaultMs: 60_000, minMs: 1000 }),
      HUGE: envDuration({ unit: 'ms', maxMs: Infinity }),
      LONGEST: envDuration({ unit: 'ms' }),
    };
    const issues = issuesOf(() =>
      parseEnv(shape, {
        DRAIN_TIMEOUT_MS: '2592000000', // 30 days
        EMF_INTERVAL_SECONDS: '2592000', // 30 days in seconds
        HUGE: '9'.repeat(400), // Infinity as a number
        LONGEST: '2147483647',
      }),
    );
    const tooLong =
      /^must be at most 2147483647 ms \(about 24\.8 days, the longest Node\.js timer\)/;
    expect(Object.keys(issues)).toEqual(['DRAIN_TIMEOUT_MS', 'EMF_INTERVAL_SECONDS', 'HUGE']);
    for (const reasonText of Object.values(issues)) expect(reasonText).toMatch(tooLong);
    expect(one(envDuration({ unit: 'ms' }), '2147483647')).toBe(MAX_TIMER_MS);
    expect(reason(envDuration({ unit: 's' }), '600h')).toMatch(tooLong);
    expect(parseDurationMs('2592000', 's')).toBeUndefined();
    expect(parseDurationMs('9'.repeat(400), 'ms')).toBeUndefined();
    expect(parseDurationMs('24h', 's')).toBe(86_400_000);
  });

  it('rejects envDuration options outside the timer range with SVC_ERR_DURATION', () => {
    for (const options of [
      { unit: 'ms', defaultMs: Infinity },
      { unit: 'ms', defaultMs: 2 ** 31 },
      { unit: 'ms', defaultMs: -1 },
      { unit: 's', minMs: Number.NaN },
      { unit: 's', maxMs: Number.NaN },
    ] as const) {
      expect(() => envDuration(options)).toThrow(
        expect.objectContaining({
          name: 'ServiceKitError',
          code: 'SVC_ERR_DURATION',
        }) as unknown as Error,
      );
    }
    expect(() => envDuration({ unit: 'ms', maxMs: Infinity })).not.toThrow();
  });

  it('rejects whole numbers and numbers meant for a timer when longer than 2^31-1 ms', () => {
    expect(reason(envInt({ timer: 'ms' }), '2147483648')).toBe(
      'must be at most 2147483647 ms (the longest Node.js timer) (got "2147483648")',
    );
    expect(one(envInt({ timer: 'ms' }), '2147483647')).toBe(2_147_483_647);
    expect(reason(envNumber({ timer: 's' }), '2592000')).toMatch(/^must be at most 2147483\.647 s/);
    expect(one(envNumber({ timer: 's' }), '0.02')).toBe(0.02);
    expect(one(envInt(), '2592000000')).toBe(2_592_000_000); // no timer: any safe integer
  });

  it('reads log levels as words in any case, never numbers', () => {
    expect(one(envLogLevel(), 'WARN')).toBe('warn');
    expect(one(envLogLevel(), 'WARNING')).toBe('warn');
    expect(one(envLogLevel({ default: 'debug' }), undefined)).toBe('debug');
    expect(one(envLogLevel(), 'silent')).toBe('silent');
    expect(reason(envLogLevel(), '20')).toMatch(/^must be one of fatal, error/);
  });
});

describe('readDotEnv', () => {
  const file = join(__dirname, 'fixtures/sample.env');

  it('adds the file under the real environment, which wins', () => {
    const env = readDotEnv(file, { GENESYS_CLIENT_ID: 'from-env', HTTP_PORT: '' });
    expect(env).toMatchObject({
      GENESYS_CLIENT_ID: 'from-env',
      GENESYS_CLIENT_SECRET: 's3cret value',
      HTTP_PORT: '8077',
      OUTPUT_FILE: './events.jsonl',
      LOG_LEVEL: 'debug',
    });
  });

  it('returns a copy of the environment when the file does not exist', () => {
    const source = { A: '1' };
    const env = readDotEnv(join(__dirname, 'fixtures/absent.env'), source);
    expect(env).toEqual(source);
    expect(env).not.toBe(source);
  });

  it('fails with SVC_ERR_DOTENV when the file exists but cannot be read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kit-env-'));
    try {
      expect(() => readDotEnv(dir, {})).toThrow(
        expect.objectContaining({ code: 'SVC_ERR_DOTENV' }) as unknown as Error,
      );
      const unreadable = join(dir, '.env');
      writeFileSync(unreadable, 'A=1\n');
      chmodSync(unreadable, 0o000);
      if (process.getuid?.() !== 0) {
        expect(() => readDotEnv(unreadable, {})).toThrow(ServiceKitError);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
