import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { int16ToL16, parseWav, tone } from '@org/audio';
import { createLogger } from '@org/service-kit';
import { captureLogs } from '@org/service-kit/testing';
import { LexConnector, validateLexConfig } from '../src/lib/connectors/lex';
import { FakeLex } from './helpers/fake-lex';
import {
  APP_DIR,
  audioRequests,
  dtmf,
  event,
  eventTypes,
  startGateway,
  testConfig,
  utterance,
  type RunningGateway,
} from './helpers/gateway';

const BOT_AGENT = 'aws_lex_connector: BookingBot';
let lex: FakeLex;
let gw: RunningGateway;
let endpoints: { models: string; runtime: string };
let n = 0;
const conv = (): string => `lex-${++n}`;

function lexConfig(
  endpoints: { models: string; runtime: string },
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    connectors: {
      lex: {
        type: 'aws_lex_connector',
        config: {
          region_name: 'us-east-1',
          endpoint: endpoints.runtime,
          models_endpoint: endpoints.models,
          max_retries: 0,
          timeout: 5,
          ...extra,
        },
      },
    },
  };
}

function pcm16k(ms: number): Buffer {
  return Buffer.from(
    int16ToL16(
      tone({ frequency: 300, sampleRate: 16000, amplitude: 8000, samples: 16 * ms }),
      'le',
    ),
  );
}

const withAgent = <T extends object>(request: T): T => ({
  ...request,
  virtual_agent_id: BOT_AGENT,
});

beforeAll(async () => {
  // The SDK reads credentials from the default chain; these are dummies for the local fake.
  process.env['AWS_ACCESS_KEY_ID'] = 'AKIDLOCALTEST';
  process.env['AWS_SECRET_ACCESS_KEY'] = 'local-test-secret';
  lex = new FakeLex();
  lex.bots = [
    {
      botId: 'BOT1',
      botName: 'BookingBot',
      aliases: [
        { botAliasId: 'OLD', lastUpdatedDateTime: 1000 },
        { botAliasId: 'LIVE', lastUpdatedDateTime: 2000 },
      ],
    },
    { botId: 'BOT2', botName: 'NoAliasBot', aliases: [] },
    {
      botId: 'BOT3',
      botName: 'SecondPageBot',
      aliases: [{ botAliasId: 'A3', lastUpdatedDateTime: 5 }],
    },
  ];
  const endpoint = await lex.listen();
  endpoints = endpoint;
  gw = await startGateway(testConfig(lexConfig(endpoint, { barge_in_enabled: true })));
});

afterAll(async () => {
  await gw.stop();
  await lex.close();
  delete process.env['AWS_ACCESS_KEY_ID'];
  delete process.env['AWS_SECRET_ACCESS_KEY'];
});

beforeEach(() => {
  lex.calls.length = 0;
  lex.turns = [];
});

describe('bot discovery', () => {
  it('follows ListBots pagination, picks the most recently updated alias and skips bots without one', () => {
    const agents = gw.gateway.router.agents();
    expect(agents.map((a) => a.id)).toEqual([
      'Local Audio: Local Playback',
      BOT_AGENT,
      'aws_lex_connector: SecondPageBot',
    ]);
    expect(agents[1]?.attributes).toMatchObject({
      bot_id: 'BOT1',
      bot_alias_id: 'LIVE',
      locale_id: 'en_US',
    });
    expect(agents.filter((a) => a.isDefault)).toHaveLength(1);
  });
});

describe('Lex turns', () => {
  it('starts with the trigger text as text/plain and returns Lex audio as a u-law 8 kHz WAV welcome', async () => {
    lex.turns = [{ messages: [{ content: 'Welcome to booking.' }], audio: pcm16k(500) }];
    const id = conv();
    const { responses, error } = await gw.client.rpc([
      withAgent(event(id, 'SESSION_START', { customer_org_id: 'org-9' })),
    ]);
    expect(error).toBeUndefined();
    const call = lex.calls[0];
    expect(call).toMatchObject({
      botId: 'BOT1',
      botAliasId: 'LIVE',
      localeId: 'en_US',
      sessionId: `session_${id}`,
      contentType: 'text/plain; charset=utf-8',
      responseContentType: 'audio/pcm',
    });
    expect(call?.body.toString()).toBe('hello');
    expect(call?.sessionState).toEqual({
      sessionAttributes: { wxcc_conversation_id: id, wxcc_customer_org_id: 'org-9' },
    });
    const prompt = responses[0]?.prompts[0];
    expect(prompt?.text).toBe('Welcome to booking.');
    expect(prompt?.is_barge_in_enabled).toBe(true);
    const wav = parseWav(prompt?.audio_content as Buffer);
    expect(wav.format).toEqual({ encoding: 'ulaw', sampleRate: 8000, channels: 1 });
    expect(wav.data.length).toBe(4000); // 500 ms at 8 kHz
  });

  it('sends an utterance as 8 kHz 16-bit PCM with the audio/lpcm type, pre-roll included', async () => {
    const id = conv();
    await gw.client.rpc([withAgent(event(id, 'SESSION_START'))]);
    lex.turns = [
      {
        messages: [{ content: 'For what date?' }],
        inputTranscript: 'book a room',
        audio: pcm16k(200),
      },
    ];
    const { responses } = await gw.client.rpc(
      audioRequests(id, utterance(600, 400)).map(withAgent),
    );
    expect(eventTypes(responses)).toEqual(['START_OF_INPUT', 'END_OF_INPUT']);
    const call = lex.calls.at(-1);
    expect(call?.contentType).toBe(
      'audio/lpcm; sample-rate=8000; sample-size-bits=16; channel-count=1; is-big-endian=false',
    );
    // Speech (600 ms) + trailing silence (300 ms) + up to 400 ms of pre-roll, 2 bytes per sample.
    const ms = (call?.body.length ?? 0) / 16;
    expect(ms).toBeGreaterThanOrEqual(850);
    expect(ms).toBeLessThanOrEqual(1400);
    expect(responses.at(-1)?.prompts[0]?.text).toBe('For what date?');
  });

  it('sends DTMF entries as their characters, with zero, star and pound right', async () => {
    const id = conv();
    await gw.client.rpc([withAgent(event(id, 'SESSION_START'))]);
    await gw.client.rpc([
      withAgent(
        dtmf(id, [
          'DTMF_DIGIT_ONE',
          'DTMF_DIGIT_ZERO',
          'DTMF_DIGIT_STAR',
          'DTMF_DIGIT_POUND',
          'DTMF_DIGIT_POUND',
        ]),
      ),
    ]);
    // The Lex input config's terminator is '#': one trailing '#' is the terminator and is dropped.
    expect(lex.calls.at(-1)?.body.toString()).toBe('10*#');
    expect(lex.calls.at(-1)?.contentType).toBe('text/plain; charset=utf-8');
  });

  it('passes session attributes from Lex back on the next turn', async () => {
    const id = conv();
    lex.turns = [
      { messages: [{ content: 'Hi' }], sessionState: { sessionAttributes: { booking: 'B-17' } } },
    ];
    await gw.client.rpc([withAgent(event(id, 'SESSION_START'))]);
    await gw.client.rpc([withAgent(dtmf(id, ['DTMF_DIGIT_TWO']))]);
    expect(lex.calls.at(-1)?.sessionState).toMatchObject({
      sessionAttributes: { booking: 'B-17', wxcc_conversation_id: id },
    });
  });

  it('ends the session on a fulfilled intent, keeping Lex audio, with one SESSION_END carrying the metadata', async () => {
    const id = conv();
    await gw.client.rpc([withAgent(event(id, 'SESSION_START'))]);
    lex.turns = [
      {
        messages: [{ content: 'Your room is booked.' }],
        interpretations: [{ intent: { name: 'BookRoom', state: 'Fulfilled' } }],
        audio: pcm16k(300),
      },
    ];
    const { responses } = await gw.client.rpc([withAgent(dtmf(id, ['DTMF_DIGIT_ONE']))], {
      halfClose: false,
    });
    const final = responses[0];
    expect(final?.output_events).toHaveLength(1);
    expect(final?.output_events[0]?.event_type).toBe('SESSION_END');
    expect(final?.output_events[0]?.name).toBe('lex_intent_fulfilled');
    const fields = final?.output_events[0]?.metadata?.fields ?? {};
    expect(Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v.stringValue]))).toEqual({
      reason: 'intent_fulfilled',
      intent_name: 'BookRoom',
      bot_name: 'BookingBot',
      conversation_id: id,
    });
    expect(final?.prompts[0]?.text).toBe('Your room is booked.');
    expect(final?.prompts[0]?.is_barge_in_enabled).toBe(false);
    expect(parseWav(final?.prompts[0]?.audio_content as Buffer).data.length).toBe(2400);
    expect(final?.session_transcript?.text).toMatch(/bot: Your room is booked\./);
    expect(gw.gateway.registry.get(id)).toBeUndefined();
  });

  it('transfers on the configured agent intent and on a failed intent', async () => {
    for (const interpretation of [
      { intent: { name: 'Agent', state: 'ReadyForFulfillment' } },
      { intent: { name: 'BookRoom', state: 'Failed' } },
    ]) {
      const id = conv();
      await gw.client.rpc([withAgent(event(id, 'SESSION_START'))]);
      lex.turns = [
        { messages: [{ content: 'Let me get someone.' }], interpretations: [interpretation] },
      ];
      const { responses } = await gw.client.rpc([withAgent(dtmf(id, ['DTMF_DIGIT_ZERO']))]);
      expect(eventTypes(responses)).toEqual(['TRANSFER_TO_AGENT']);
      expect(responses[0]?.output_events[0]?.name).toBe('lex_intent_failed');
    }
  });

  it('treats dialogAction Close as the end, but keeps going for FallbackIntent and in-progress intents', async () => {
    const id = conv();
    await gw.client.rpc([withAgent(event(id, 'SESSION_START'))]);
    lex.turns = [
      {
        messages: [{ content: 'Sorry?' }],
        interpretations: [{ intent: { name: 'FallbackIntent', state: 'Fulfilled' } }],
      },
      {
        messages: [{ content: 'Which city?' }],
        interpretations: [{ intent: { name: 'BookRoom', state: 'InProgress' } }],
        sessionState: { dialogAction: { type: 'ElicitSlot' } },
      },
      {
        messages: [{ content: 'Bye.' }],
        sessionState: {
          dialogAction: { type: 'Close' },
          intent: { name: 'Goodbye', state: 'InProgress' },
        },
      },
    ];
    expect(
      eventTypes((await gw.client.rpc([withAgent(dtmf(id, ['DTMF_DIGIT_ONE']))])).responses),
    ).toEqual([]);
    expect(
      eventTypes((await gw.client.rpc([withAgent(dtmf(id, ['DTMF_DIGIT_TWO']))])).responses),
    ).toEqual([]);
    const last = await gw.client.rpc([withAgent(dtmf(id, ['DTMF_DIGIT_THREE']))]);
    expect(eventTypes(last.responses)).toEqual(['SESSION_END']);
    expect(last.responses[0]?.output_events[0]?.metadata?.fields['reason']?.stringValue).toBe(
      'dialog_closed',
    );
  });

  it('answers a Lex error with the error prompt, then escalates after repeated errors', async () => {
    const id = conv();
    await gw.client.rpc([withAgent(event(id, 'SESSION_START'))]);
    const failure = { error: { status: 400, type: 'ValidationException', message: 'bad input' } };
    lex.turns = [failure, failure];
    const first = await gw.client.rpc([withAgent(dtmf(id, ['DTMF_DIGIT_ONE']))]);
    expect(first.error).toBeUndefined();
    expect(first.responses[0]?.prompts[0]?.text).toMatch(/An error occurred/);
    expect(first.responses[0]?.output_events[0]).toMatchObject({
      event_type: 'CUSTOM_EVENT',
      name: 'error_occurred',
    });
    const second = await gw.client.rpc([withAgent(dtmf(id, ['DTMF_DIGIT_ONE']))]);
    expect(eventTypes(second.responses)).toEqual(['TRANSFER_TO_AGENT']);
    expect(second.responses[0]?.output_events[0]?.metadata?.fields['reason']?.stringValue).toBe(
      'lex_error',
    );
  });

  it('answers an error on a voice turn too (the caller is never left in silence)', async () => {
    const id = conv();
    await gw.client.rpc([withAgent(event(id, 'SESSION_START'))]);
    lex.turns = [{ error: { status: 500, type: 'InternalServerException', message: 'boom' } }];
    const { responses } = await gw.client.rpc(
      audioRequests(id, utterance(500, 400)).map(withAgent),
    );
    expect(eventTypes(responses)).toEqual(['START_OF_INPUT', 'END_OF_INPUT', 'CUSTOM_EVENT']);
    expect(responses.at(-1)?.prompts[0]?.text).toMatch(/An error occurred/);
  });

  it('answers NO_INPUT and an empty DTMF entry with a plain FINAL without calling Lex', async () => {
    const id = conv();
    await gw.client.rpc([withAgent(event(id, 'SESSION_START'))]);
    const before = lex.calls.length;
    for (const request of [event(id, 'NO_INPUT'), dtmf(id, []), event(id, 'START_OF_DTMF')]) {
      const { responses } = await gw.client.rpc([withAgent(request)]);
      expect(responses).toHaveLength(1);
      expect(responses[0]?.output_events).toEqual([]);
    }
    expect(lex.calls.length).toBe(before);
  });

  it('accepts AWS credentials in the YAML with a warning that roles are preferred, and signs with them', async () => {
    const logs = captureLogs();
    const logger = createLogger({ service: 'byova-gateway', destination: logs.destination });
    const keyed = await startGateway(
      testConfig(
        lexConfig(endpoints, {
          bot_id: 'BOT1',
          bot_alias_id: 'LIVE',
          bot_name: 'BookingBot',
          aws_access_key_id: 'AKIDFROMYAML',
          aws_secret_access_key: 'yaml-secret-value',
        }),
      ),
      { logger },
    );
    try {
      await keyed.client.rpc([withAgent(event('keys-1', 'SESSION_START'))]);
      expect(lex.calls.at(-1)?.authorization).toMatch(/Credential=AKIDFROMYAML\//);
      const warning = logs.lines.find((l) => /IAM role .* is preferred/.test(String(l.msg)));
      expect(warning).toMatchObject({ level: 'warn', connector: 'lex' });
      expect(logs.text()).not.toContain('yaml-secret-value');
      const view = await (await fetch(`${keyed.httpUrl}/api/config`)).text();
      expect(view).not.toContain('yaml-secret-value');
      expect(view).not.toContain('AKIDFROMYAML');
    } finally {
      await keyed.stop();
    }
  });

  it('welcomes with welcome_text ({bot_name} filled in) when Lex answers the trigger without text, and with Lex’s own text otherwise', async () => {
    const welcoming = await startGateway(
      testConfig(
        lexConfig(endpoints, {
          bot_id: 'BOT1',
          bot_alias_id: 'LIVE',
          bot_name: 'BookingBot',
          welcome_text: 'Hello, {bot_name} here. How can I help?',
        }),
      ),
    );
    try {
      lex.turns = [{ audio: pcm16k(200) }];
      const silent = await welcoming.client.rpc([withAgent(event('welcome-1', 'SESSION_START'))]);
      expect(silent.error).toBeUndefined();
      const prompt = silent.responses[0]?.prompts[0];
      expect(prompt?.text).toBe('Hello, BookingBot here. How can I help?');
      expect(parseWav(prompt?.audio_content as Buffer).data.length).toBe(1600);
      // The welcome is in the session transcript like any bot prompt.
      lex.turns = [
        {
          messages: [{ content: 'Done.' }],
          interpretations: [{ intent: { name: 'BookRoom', state: 'Fulfilled' } }],
        },
      ];
      const last = await welcoming.client.rpc([withAgent(dtmf('welcome-1', ['DTMF_DIGIT_ONE']))]);
      expect(last.responses[0]?.session_transcript?.text).toBe(
        'bot: Hello, BookingBot here. How can I help?\ncaller: [DTMF]\nbot: Done.',
      );

      lex.turns = [{}];
      const empty = await welcoming.client.rpc([withAgent(event('welcome-2', 'SESSION_START'))]);
      expect(empty.responses[0]?.prompts.map((p) => p.text)).toEqual([
        'Hello, BookingBot here. How can I help?',
      ]);

      lex.turns = [{ messages: [{ content: 'Welcome to booking.' }] }];
      const spoken = await welcoming.client.rpc([withAgent(event('welcome-3', 'SESSION_START'))]);
      expect(spoken.responses[0]?.prompts[0]?.text).toBe('Welcome to booking.');

      // Later turns without text get no welcome text.
      lex.turns = [{}];
      const later = await welcoming.client.rpc([withAgent(dtmf('welcome-3', ['DTMF_DIGIT_TWO']))]);
      expect(later.responses[0]?.prompts).toEqual([]);
    } finally {
      await welcoming.stop();
    }
  });

  it('answers the welcome without Lex text with no prompt when welcome_text is unset', async () => {
    const id = conv();
    lex.turns = [{}];
    const { responses, error } = await gw.client.rpc([withAgent(event(id, 'SESSION_START'))]);
    expect(error).toBeUndefined();
    expect(responses).toHaveLength(1);
    expect(responses[0]?.prompts).toEqual([]);
  });

  it('refuses an empty welcome_text in the configuration', () => {
    expect(() => validateLexConfig('lex', { region_name: 'us-east-1', welcome_text: '' })).toThrow(
      /connectors\.lex\.config\.welcome_text: welcome_text must not be empty/,
    );
  });

  it('applies bot_alias_id alone to every bot it discovers (no alias lookup)', async () => {
    lex.listCalls.splice(0);
    const aliased = await startGateway(
      testConfig(lexConfig(endpoints, { bot_alias_id: 'TSTALIASID' })),
    );
    try {
      expect(lex.listCalls.filter((c) => c.startsWith('ListBotAliases'))).toEqual([]);
      const { responses } = await aliased.client.rpc([
        withAgent(event('alias-1', 'SESSION_START')),
      ]);
      expect(responses).toHaveLength(1);
      expect(lex.calls.at(-1)).toMatchObject({ botId: 'BOT1', botAliasId: 'TSTALIASID' });
    } finally {
      await aliased.stop();
    }
  });

  it('logs audio as its audio_logging block says: utterances only, PCM 16 kHz, in parts of max_file_size', async () => {
    const out = mkdtempSync(join(tmpdir(), 'byova-lex-logging-'));
    const logging = await startGateway(
      testConfig(
        lexConfig(endpoints, {
          bot_id: 'BOT1',
          bot_alias_id: 'LIVE',
          bot_name: 'BookingBot',
          audio_logging: {
            enabled: true,
            output_dir: out,
            log_all_audio: false,
            encoding: 'pcm',
            bit_depth: 16,
            sample_rate: 16000,
            max_file_size: 4096,
          },
        }),
      ),
    );
    try {
      lex.turns = [{ messages: [{ content: 'Hi' }], audio: pcm16k(300) }];
      await logging.client.rpc([withAgent(event('log-1', 'SESSION_START'))]);
      await logging.client.rpc(audioRequests('log-1', utterance(500, 400)).map(withAgent));
      const files = readdirSync(out).sort();
      const caller = files.filter((f) => /_caller(_part\d+)?\.wav$/.test(f));
      expect(caller.length).toBeGreaterThanOrEqual(8);
      expect(caller).toContain(caller[0]?.replace('.wav', '_part2.wav'));
      let seconds = 0;
      for (const name of caller) {
        const bytes = readFileSync(join(out, name));
        expect(bytes.length).toBeLessThanOrEqual(4096);
        const wav = parseWav(bytes);
        expect(wav.format).toEqual({ encoding: 'pcm16', sampleRate: 16000, channels: 1 });
        seconds += wav.durationSeconds;
      }
      // Only the utterance (from the start of the stream to 300 ms after the tone), not the rest.
      expect(seconds).toBeCloseTo(1.1, 1);
      expect(files.some((f) => f.endsWith('_bot.wav'))).toBe(true);
    } finally {
      await logging.stop();
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('leaves out a Lex connector that cannot discover bots while it is retried: NOT_FOUND for its agent, health NOT_SERVING', async () => {
    const broken = await startGateway(
      testConfig({
        connectors: {
          local_audio_connector: {
            type: 'local_audio_connector',
            config: { audio_base_path: 'assets/prompts' },
          },
          lex: {
            type: 'aws_lex_connector',
            config: {
              region_name: 'us-east-1',
              endpoint: 'http://127.0.0.1:9',
              max_retries: 0,
              timeout: 2,
            },
          },
        },
      }),
    );
    try {
      expect(broken.gateway.router.agents().map((a) => a.id)).toEqual([
        'Local Audio: Local Playback',
      ]);
      const { error } = await broken.client.rpc([withAgent(event('x', 'SESSION_START'))]);
      expect(error?.code).toBe(status.NOT_FOUND);
      const health = await new Promise<unknown>((resolve, reject) =>
        broken.client.health.Check({ service: '' }, (err, out) =>
          err !== null ? reject(err) : resolve(out?.status),
        ),
      );
      expect(health).toBe('NOT_SERVING');
    } finally {
      await broken.stop();
    }
  });
});

describe('a conversation given up while its Lex call is under way', () => {
  it('returns quietly: no error line, no error reply, no consecutive error counted', async () => {
    const logs = captureLogs();
    const logger = createLogger({ service: 'byova-gateway', destination: logs.destination });
    const fixed = { bot_id: 'BOT1', bot_alias_id: 'LIVE', bot_name: 'BookingBot' };
    const entry = lexConfig(endpoints, fixed)['connectors'] as {
      lex: { config: Record<string, unknown> };
    };
    const connector = new LexConnector({
      key: 'lex',
      config: entry.lex.config,
      baseDir: APP_DIR,
      logger,
    });
    await connector.init();
    const abort = new AbortController();
    const session = connector.openSession({
      conversationId: 'given-up-1',
      agentId: connector.agents()[0]?.id ?? '',
      customerOrgId: '',
      logger,
      signal: abort.signal,
    });
    try {
      // The gateway gives the conversation up (shutdown): the call is aborted.
      abort.abort();
      expect(await session.dtmf('1')).toBeNull();
      expect(logs.lines.filter((l) => l.level === 'error')).toEqual([]);
      expect(session.snapshot?.()).toMatchObject({ errors: 0 });
    } finally {
      await connector.close();
    }
  });
});
