// The Lex session transcript, as stored in the conversation table and sent to WxCC: DTMF entries
// are masked, and a long call keeps within the transcript budget so its item stays far below
// DynamoDB's 400 KB item limit and every stream keeps working.

import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { VoiceVARequest } from '@org/byova';
import { type GatewayConfig } from '../src/config';
import {
  DEFAULT_TRANSCRIPT_MAX_BYTES,
  DTMF_TRANSCRIPT_LINE,
  LexTranscript,
  TRANSCRIPT_TRUNCATED_LINE,
  maskDtmfEcho,
} from '../src/lib/connectors/lex-transcript';
import { validateLexConfig } from '../src/lib/connectors/lex';
import { startLocalDynamo, type LocalDynamo } from './helpers/dynamo';
import { FakeLex } from './helpers/fake-lex';
import { dtmf, event, startGateway, testConfig, type RunningGateway } from './helpers/gateway';

const TABLE = 'transcript-conversations';
const AGENT = { virtual_agent_id: 'aws_lex_connector: BookingBot' };
const FULFILLED = { interpretations: [{ intent: { name: 'BookRoom', state: 'Fulfilled' } }] };

let lex: FakeLex;
let dynamo: LocalDynamo;
let gw: RunningGateway;

beforeAll(async () => {
  process.env['AWS_ACCESS_KEY_ID'] = 'AKIDLOCALTEST';
  process.env['AWS_SECRET_ACCESS_KEY'] = 'local-test-secret';
  lex = new FakeLex();
  const endpoints = await lex.listen();
  dynamo = await startLocalDynamo();
  await dynamo.createTable(TABLE);
  const config: GatewayConfig = {
    ...testConfig({
      connectors: {
        lex: {
          type: 'aws_lex_connector',
          config: {
            region_name: 'us-east-1',
            bot_id: 'BOT1',
            bot_alias_id: 'LIVE',
            bot_name: 'BookingBot',
            endpoint: endpoints.runtime,
            models_endpoint: endpoints.models,
            max_retries: 0,
          },
        },
      },
    }),
    conversationTable: { table: TABLE, endpoint: dynamo.endpoint, region: 'us-east-1' },
  };
  gw = await startGateway(config, { dynamoClient: dynamo.client() });
});

afterAll(async () => {
  await gw.stop();
  await lex.close();
  await dynamo.close();
  delete process.env['AWS_ACCESS_KEY_ID'];
  delete process.env['AWS_SECRET_ACCESS_KEY'];
});

beforeEach(() => {
  lex.calls.length = 0;
  lex.turns = [];
});

async function item(id: string): Promise<Record<string, AttributeValue> | undefined> {
  return (await dynamo.items(TABLE)).find((i) => i['pk']?.S === `conversation#${id}`);
}

/** The Lex session's snapshot in the stored conversation state. */
async function storedTranscript(id: string): Promise<string[]> {
  const state = JSON.parse((await item(id))?.['state']?.S ?? '{}') as {
    connector?: { transcript?: string[] };
  };
  return state.connector?.transcript ?? [];
}

const NAMES = ['ZERO', 'ONE', 'TWO', 'THREE', 'FOUR', 'FIVE', 'SIX', 'SEVEN', 'EIGHT', 'NINE'];

/** A DTMF entry of the Lex agent ('#' is POUND). */
const keys = (id: string, digits: string): VoiceVARequest => ({
  ...dtmf(
    id,
    [...digits].map((d) => (d === '#' ? 'DTMF_DIGIT_POUND' : `DTMF_DIGIT_${NAMES[Number(d)]}`)),
  ),
  ...AGENT,
});
const start = (id: string): VoiceVARequest => ({ ...event(id, 'SESSION_START'), ...AGENT });

describe('the Lex session transcript', () => {
  it('masks DTMF entries in the stored item and in the transcript sent to WxCC, while Lex gets the keys', async () => {
    const id = 'pin-call';
    lex.turns = [
      { messages: [{ content: 'Welcome. Enter your PIN.' }] },
      // Lex echoes text input as its input transcript: it must not reach the transcript either.
      { messages: [{ content: 'Thanks.' }], inputTranscript: '4711' },
    ];
    expect((await gw.client.rpc([start(id)])).error).toBe(undefined);
    expect((await gw.client.rpc([keys(id, '4711#')])).error).toBeUndefined();
    expect(lex.calls.at(-1)?.body.toString()).toBe('4711');
    expect(await storedTranscript(id)).toEqual([
      'bot: Welcome. Enter your PIN.',
      DTMF_TRANSCRIPT_LINE,
      'bot: Thanks.',
    ]);
    expect(JSON.stringify(await item(id))).not.toContain('4711');

    lex.turns = [
      { messages: [{ content: 'Booked. Goodbye.' }], inputTranscript: '9', ...FULFILLED },
    ];
    const last = await gw.client.rpc([keys(id, '9')]);
    expect(last.responses.at(-1)?.output_events[0]?.event_type).toBe('SESSION_END');
    expect(last.responses.at(-1)?.session_transcript?.text).toBe(
      [
        'bot: Welcome. Enter your PIN.',
        'caller: [DTMF]',
        'bot: Thanks.',
        'caller: [DTMF]',
        'bot: Booked. Goodbye.',
      ].join('\n'),
    );
  });

  it('masks the bot’s read-back of a DTMF entry’s digits in the transcript, but not in the prompt the caller hears nor on other turns', async () => {
    const id = 'echo-call';
    lex.turns = [
      { messages: [{ content: 'Welcome. Your ticket is 4711. Enter your PIN.' }] },
      { messages: [{ content: 'You entered 4 7 1 1. Press 1 to confirm.' }] },
    ];
    await gw.client.rpc([start(id)]);
    const { responses } = await gw.client.rpc([keys(id, '4711#')]);
    expect(responses.at(-1)?.prompts[0]?.text).toBe('You entered 4 7 1 1. Press 1 to confirm.');
    expect(await storedTranscript(id)).toEqual([
      'bot: Welcome. Your ticket is 4711. Enter your PIN.',
      DTMF_TRANSCRIPT_LINE,
      'bot: You entered [DTMF]. Press 1 to confirm.',
    ]);
    expect(JSON.stringify(await item(id))).not.toContain('4 7 1 1');

    lex.turns = [{ messages: [{ content: 'PIN 4-7-1-1 confirmed. Goodbye.' }], ...FULFILLED }];
    const last = await gw.client.rpc([keys(id, '4711')]);
    const sent = last.responses.at(-1)?.session_transcript?.text ?? '';
    expect(sent.split('\n').at(-1)).toBe('bot: PIN [DTMF] confirmed. Goodbye.');
  });

  it('keeps a long call’s item within the transcript budget, every stream succeeding, newest turns kept', async () => {
    const id = 'long-call';
    // 8 KB of bot text per turn: 60 turns would be about 480 KB, past DynamoDB's item limit.
    const say = (turn: number): string => `Turn ${turn}. ${'Here is a long answer. '.repeat(350)}`;
    lex.defaultTurn = { messages: [{ content: say(0) }] };
    await gw.client.rpc([start(id)]);
    let largest = 0;
    for (let turn = 1; turn <= 60; turn += 1) {
      lex.turns = [{ messages: [{ content: say(turn) }] }];
      const { error } = await gw.client.rpc([keys(id, '1')]);
      expect(error).toBeUndefined();
      largest = Math.max(largest, JSON.stringify(await item(id)).length);
    }
    // The transcript budget plus the rest of the state: far below 400 KB.
    expect(largest).toBeLessThan(DEFAULT_TRANSCRIPT_MAX_BYTES + 8 * 1024);
    const stored = await storedTranscript(id);
    expect(stored.at(-1)).toBe(`bot: ${say(60)}`);
    expect(Buffer.byteLength(stored.join('\n'))).toBeLessThanOrEqual(DEFAULT_TRANSCRIPT_MAX_BYTES);

    lex.turns = [{ messages: [{ content: 'Goodbye.' }], ...FULFILLED }];
    const last = await gw.client.rpc([keys(id, '2')]);
    const text = last.responses.at(-1)?.session_transcript?.text ?? '';
    expect(text.startsWith(`${TRANSCRIPT_TRUNCATED_LINE}\n`)).toBe(true);
    expect(text.endsWith('caller: [DTMF]\nbot: Goodbye.')).toBe(true);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(DEFAULT_TRANSCRIPT_MAX_BYTES);
    lex.defaultTurn = { messages: [{ content: 'How can I help?' }] };
  });
});

describe('maskDtmfEcho', () => {
  it('masks the entry’s digits read back plain or separated by spaces, commas, periods or hyphens', () => {
    for (const echo of ['4711', '4 7 1 1', '4-7-1-1', '4, 7, 1, 1', '4.7.1.1', '47 11']) {
      expect(maskDtmfEcho(`You entered ${echo}, right?`, '4711')).toBe(
        'You entered [DTMF], right?',
      );
    }
    expect(maskDtmfEcho('4711 and again 4 7 1 1', '4711#')).toBe('[DTMF] and again [DTMF]');
  });

  it('masks only the whole entry: not part of a longer number, not other digits, not an entry without digits', () => {
    expect(maskDtmfEcho('Order 947112 is not 4712.', '4711')).toBe('Order 947112 is not 4712.');
    expect(maskDtmfEcho('Press 1 for sales, 10 for more.', '1')).toBe(
      'Press [DTMF] for sales, 10 for more.',
    );
    expect(maskDtmfEcho('Star or pound: * #', '*#')).toBe('Star or pound: * #');
    // Keys other than digits are left out of the echo: 1, 2, 3, 4 here.
    expect(maskDtmfEcho('Your code is 12 34.', '12*34')).toBe('Your code is [DTMF].');
  });
});

describe('LexTranscript', () => {
  it('drops the oldest lines beyond its budget and marks the text as truncated', () => {
    const transcript = new LexTranscript(1024);
    for (let i = 0; i < 100; i += 1) transcript.push(`bot: line ${i} ${'x'.repeat(40)}`);
    const text = transcript.text();
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(1024);
    expect(text.split('\n')[0]).toBe(TRANSCRIPT_TRUNCATED_LINE);
    expect(text.endsWith(`bot: line 99 ${'x'.repeat(40)}`)).toBe(true);
  });

  it('cuts a single line longer than the budget at a character boundary', () => {
    const transcript = new LexTranscript(1024);
    transcript.push(`bot: ${'é€'.repeat(1000)}`);
    const text = transcript.text();
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(1024);
    expect(text.endsWith('…')).toBe(true);
    expect(text).not.toContain('\uFFFD');
  });

  it('applies its budget to a restored snapshot written with a larger one', () => {
    const transcript = new LexTranscript(2048);
    transcript.restore(
      Array.from({ length: 200 }, (_, i) => `caller: turn ${i}`),
      false,
    );
    expect(Buffer.byteLength(transcript.text())).toBeLessThanOrEqual(2048);
    expect(transcript.truncated).toBe(true);
    expect(transcript.lines().at(-1)).toBe('caller: turn 199');
  });

  it('takes its budget from transcript_max_bytes (64 KiB by default, 1 KiB to 256 KiB)', () => {
    const base = { region_name: 'us-east-1' };
    expect(validateLexConfig('lex', base).transcript_max_bytes).toBe(65536);
    expect(() => validateLexConfig('lex', { ...base, transcript_max_bytes: 500 * 1024 })).toThrow(
      /connectors\.lex\.config\.transcript_max_bytes/,
    );
  });
});
