import { parseOptions, parseScript, UsageError } from '../src/lib/options';

const URI = 'ws://127.0.0.1:3000/api/v1/audiohook/ws';

describe('parseOptions', () => {
  it('takes the URI positionally or with --uri and applies the reference defaults', () => {
    for (const argv of [[URI], ['--uri', URI]]) {
      const options = parseOptions(argv);
      expect(options).toMatchObject({
        apiKey: 'test-api-key',
        sessionCount: 1,
        connectionRate: 50,
        connectionProbe: false,
        sessionLogLevel: 'info',
        openTimeoutMs: 5000,
      });
      expect(options?.uri.href).toBe(URI);
    }
  });

  it('defaults the session log level to info for one session and to warn in load mode, unless given', () => {
    expect(parseOptions([URI])?.sessionLogLevel).toBe('info');
    expect(parseOptions([URI, '--session-count', '2'])?.sessionLogLevel).toBe('warn');
    expect(
      parseOptions([URI, '--session-count', '2', '--session-log-level', 'info'])?.sessionLogLevel,
    ).toBe('info');
    expect(parseOptions([URI, '--session-log-level', 'error'])?.sessionLogLevel).toBe('error');
  });

  it('merges repeated --custom-config objects and reads durations in seconds or PT…S', () => {
    const options = parseOptions([
      URI,
      '--custom-config',
      '{"a":1,"b":1}',
      '--custom-config',
      '{"b":2}',
      '--max-stream-duration',
      'PT1.5S',
    ]);
    expect(options?.customConfig).toEqual({ a: 1, b: 2 });
    expect(options?.maxStreamDurationMs).toBe(1500);
    expect(parseOptions([URI, '--max-stream-duration', '2'])?.maxStreamDurationMs).toBe(2000);
  });

  it('returns undefined for --help', () => {
    expect(parseOptions(['--help'])).toBeUndefined();
  });

  it.each([
    [[], /server URI is required/],
    [[URI, '--uri', URI], /either as --uri or positionally/],
    [['http://x'], /ws:\/\/ or wss:\/\//],
    [[URI, '--api-key', 'bad key!'], /--api-key/],
    [[URI, '--client-secret', 'not base64!'], /--client-secret: must be base64/],
    [[URI, '--session-count', '0'], /--session-count/],
    [[URI, '--connection-rate', 'fast'], /--connection-rate/],
    [[URI, '--orgid', 'x'], /--org-id: must be a UUID|--orgid/],
    [[URI, '--custom-config', '[1]'], /must be a JSON object/],
    [[URI, '--custom-config', '{'], /not valid JSON/],
    [[URI, '--connection-probe', '--wavfile', 'a.wav'], /cannot be combined/],
    [[URI, '--max-stream-duration', 'PT1M'], /not a PT…S duration/],
    [[URI, '--language', 'en US'], /not a language tag/],
    [[URI, '--bogus'], /Unknown option/],
    [[URI, '--session-log-level', 'loud'], /--session-log-level/],
  ])('rejects %j with a usage error', (argv, message) => {
    expect(() => parseOptions(argv)).toThrow(UsageError);
    expect(() => parseOptions(argv)).toThrow(message);
  });
});

describe('parseScript', () => {
  it('parses and orders actions', () => {
    expect(parseScript('resume@4, pause@2,discard@5:1.5,update@6:fr-FR,close@8')).toEqual([
      { atMs: 2000, kind: 'pause' },
      { atMs: 4000, kind: 'resume' },
      { atMs: 5000, kind: 'discard', durationMs: 1500 },
      { atMs: 6000, kind: 'update', language: 'fr-FR' },
      { atMs: 8000, kind: 'close' },
    ]);
    expect(parseScript('')).toEqual([]);
  });

  it.each(['jump@1', 'pause', 'pause@x', 'discard@1', 'update@1', 'pause@1:2'])(
    'rejects %s',
    (text) => {
      expect(() => parseScript(text)).toThrow(UsageError);
    },
  );
});
