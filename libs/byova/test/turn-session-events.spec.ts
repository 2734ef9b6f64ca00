import { parseWav } from '@org/audio';
import {
  INPUT,
  dtmf,
  event,
  eventTypes,
  frames,
  harness,
  send,
  utterance,
} from './helpers/turn-harness';

describe('session start', () => {
  it('answers SESSION_START with one FINAL welcome: a u-law 8 kHz WAV, not interruptible, with the input config', async () => {
    const h = harness();
    const { stream, responses } = h.open();
    await h.session.receive(stream, event('SESSION_START', 'call_start', { dept: 7 }));
    expect(responses).toHaveLength(1);
    const [welcome] = responses;
    expect(welcome?.response_type).toBe('FINAL');
    expect(welcome?.prompts?.[0]?.text).toBe('Welcome');
    expect(welcome?.prompts?.[0]?.is_barge_in_enabled).toBe(false);
    const wav = parseWav(welcome?.prompts?.[0]?.audio_content as Uint8Array);
    expect(wav.format).toEqual({ encoding: 'ulaw', sampleRate: 8000, channels: 1 });
    expect(welcome?.input_mode).toBe('INPUT_VOICE_DTMF');
    expect(welcome?.input_handling_config).toEqual(INPUT.inputHandlingConfig);
    expect(h.connector.calls).toEqual(['start:call_start']);
    expect(h.session.state).toMatchObject({ welcomed: true, turns: 1 });
    expect(h.seen.turns).toEqual([['event', { event: 'SESSION_START' }]]);
    expect(h.seen.botBytes).toEqual([800]);
  });

  it('ignores a duplicate SESSION_START: no second welcome, no connector call, a warning', async () => {
    const h = harness();
    await send(h.session, h.open().stream, [event('SESSION_START')]);
    const second = h.open();
    await h.session.receive(second.stream, event('SESSION_START'));
    expect(second.responses).toEqual([]);
    expect(second.completed).toBe(false);
    expect(h.connector.calls).toEqual(['start:']);
    expect(h.seen.logs).toContainEqual(['warn', 'duplicate SESSION_START ignored']);
  });

  it('keeps the conversation state across streams', async () => {
    const h = harness();
    await send(h.session, h.open().stream, [event('SESSION_START')]);
    await send(h.session, h.open().stream, [event('CUSTOM_EVENT', 'ping')]);
    expect(h.session.state.turns).toBe(2);
  });
});

describe('caller hang-up', () => {
  it('answers SESSION_END with session_ended_by_client only, ends the conversation, then completes', async () => {
    const h = harness();
    await send(h.session, h.open().stream, [event('SESSION_START')]);
    const hangup = h.open();
    await h.session.receive(hangup.stream, event('SESSION_END', 'call_end'));
    expect(hangup.responses).toEqual([
      { output_events: [{ event_type: 'SESSION_END', name: 'session_ended_by_client' }] },
    ]);
    expect(hangup.completed).toBe(true);
    expect(h.session.ended).toBe(true);
    expect(h.connector.calls.at(-1)).toBe('end:client_session_end');
    expect(h.seen.ended).toEqual(['client_session_end']);
  });

  it('ignores every input after the conversation ended', async () => {
    const h = harness();
    await send(h.session, h.open().stream, [event('SESSION_END')]);
    const later = h.open();
    await send(h.session, later.stream, [event('SESSION_START'), dtmf('5')]);
    expect(later.responses).toEqual([]);
    expect(h.connector.calls).toEqual(['end:client_session_end']);
  });
});

describe('DTMF', () => {
  it('START_OF_DTMF enters DTMF mode and is closed with a plain FINAL carrying the input config', async () => {
    const h = harness();
    const { stream, responses } = h.open();
    await h.session.receive(stream, event('START_OF_DTMF'));
    expect(responses).toEqual([
      {
        response_type: 'FINAL',
        input_mode: 'INPUT_VOICE_DTMF',
        input_handling_config: INPUT.inputHandlingConfig,
      },
    ]);
    expect(h.session.state.dtmfMode).toBe(true);
    expect(h.connector.events[0]?.type).toBe('START_OF_DTMF');
  });

  it('hands the entry to the connector as characters, leaves DTMF mode, and strips one terminator', async () => {
    const h = harness();
    await send(h.session, h.open().stream, [event('START_OF_DTMF')]);
    await send(h.session, h.open().stream, [dtmf('0*#')]);
    expect(h.connector.calls).toContain('dtmf:0*');
    expect(h.session.state.dtmfMode).toBe(false);
    expect(h.seen.turns.at(-1)).toEqual(['dtmf', { digits: 2 }]);
  });

  it('keeps the terminator when stripping is off', async () => {
    const h = harness({ settings: { stripDtmfTerminator: false } });
    await send(h.session, h.open().stream, [dtmf('12#')]);
    expect(h.connector.calls).toEqual(['dtmf:12#']);
  });

  it('strips the terminator of the input config last sent, not the connector default', async () => {
    const h = harness();
    h.connector.onStart = () => ({
      prompts: [],
      inputHandlingConfig: { dtmf_config: { termchar: 'DTMF_DIGIT_STAR', dtmf_input_length: 9 } },
    });
    await send(h.session, h.open().stream, [event('SESSION_START')]);
    await send(h.session, h.open().stream, [dtmf('42*'), dtmf('42#')]);
    expect(h.connector.calls.slice(1)).toEqual(['dtmf:42', 'dtmf:42#']);
  });

  it('answers an empty or unmapped entry the connector has nothing for with a plain FINAL', async () => {
    const h = harness();
    const { stream, responses } = h.open();
    await send(h.session, stream, [dtmf(''), dtmf('77')]);
    expect(responses).toHaveLength(2);
    for (const response of responses) {
      expect(response).toMatchObject({ response_type: 'FINAL', input_mode: 'INPUT_VOICE_DTMF' });
      expect(response.prompts).toBeUndefined();
      expect(response.output_events).toBeUndefined();
    }
  });
});

describe('terminal replies', () => {
  it('a transfer is one response with one event, never barge-in; the conversation ends before the stream completes', async () => {
    const h = harness();
    h.connector.onDtmf = () => ({
      prompts: [{ text: 'Transferring', audio: new Uint8Array(200), bargeIn: true }],
      event: {
        type: 'TRANSFER_TO_AGENT',
        name: 'transfer_requested',
        metadata: { reason: 'dtmf' },
      },
    });
    const { stream, responses } = h.open();
    await h.session.receive(stream, dtmf('5'));
    expect(responses).toHaveLength(1);
    expect(eventTypes(responses)).toEqual(['TRANSFER_TO_AGENT']);
    expect(responses[0]?.output_events?.[0]?.name).toBe('transfer_requested');
    expect(responses[0]?.prompts?.[0]?.is_barge_in_enabled).toBe(false);
    expect(responses[0]?.input_mode).toBe('INPUT_VOICE_DTMF');
    expect(h.seen.terminals).toEqual([['TRANSFER_TO_AGENT', 'transfer_requested']]);
    expect(h.seen.ended).toEqual(['transferred']);
    expect(h.session.ended).toBe(true);
    expect(h.seen.order).toEqual(['ended:transferred', 'complete']);
  });

  it('a server hang-up (SESSION_END reply) carries no input mode or config', async () => {
    const h = harness();
    h.connector.onDtmf = () => ({
      prompts: [{ text: 'Goodbye' }],
      event: { type: 'SESSION_END', name: 'session_ended' },
      transcript: 'caller: 6',
    });
    const turn = h.open();
    const { stream, responses } = turn;
    await h.session.receive(stream, dtmf('6'));
    expect(responses[0]?.input_mode).toBeUndefined();
    expect(responses[0]?.input_handling_config).toBeUndefined();
    expect(responses[0]?.session_transcript).toEqual({ text: 'caller: 6' });
    expect(turn.completed).toBe(true);
    expect(h.seen.ended).toEqual(['completed']);
  });

  it('a CUSTOM_EVENT reply is not terminal: the stream stays open', async () => {
    const h = harness();
    h.connector.onEvent = () => ({ prompts: [], event: { type: 'CUSTOM_EVENT', name: 'x' } });
    const turn = h.open();
    await h.session.receive(turn.stream, event('CUSTOM_EVENT', 'x'));
    expect(turn.completed).toBe(false);
    expect(h.session.ended).toBe(false);
  });
});

describe('other events', () => {
  it('passes NO_INPUT to the connector and closes it with a plain FINAL, never an OutputEvent NO_INPUT', async () => {
    const h = harness();
    const { stream, responses } = h.open();
    await h.session.receive(stream, event('NO_INPUT'));
    expect(h.connector.events.map((e) => e.type)).toEqual(['NO_INPUT']);
    expect(responses).toHaveLength(1);
    expect(eventTypes(responses)).toEqual([]);
  });

  it('passes a custom event with its name and parameters; an unknown type as UNSPECIFIED_INPUT', async () => {
    const h = harness();
    await send(h.session, h.open().stream, [
      event('CUSTOM_EVENT', 'survey', { score: 5 }),
      event('UNSPECIFIED_INPUT', 'odd'),
    ]);
    expect(h.connector.events).toEqual([
      { type: 'CUSTOM_EVENT', name: 'survey', parameters: { score: 5 } },
      { type: 'UNSPECIFIED_INPUT', name: 'odd', parameters: {} },
    ]);
  });
});

describe('reply shaping and failures', () => {
  it('answers a connector that throws with its error reply and reports the failure', async () => {
    const h = harness();
    h.connector.onEvent = () => {
      throw new Error('vendor down');
    };
    const { stream, responses } = h.open();
    await h.session.receive(stream, event('CUSTOM_EVENT', 'x'));
    expect(responses[0]?.prompts?.[0]?.text).toBe('Sorry');
    expect(eventTypes(responses)).toEqual(['CUSTOM_EVENT']);
    expect((h.seen.connectorErrors[0] as Error).message).toBe('vendor down');
    expect(h.seen.logs).toContainEqual(['error', 'connector failed; sending its error reply']);
  });

  it('streams CHUNK-mode replies as raw chunks and one FINAL without audio', async () => {
    const h = harness({ replyMode: 'chunk', settings: { chunkBytes: 300 } });
    const { stream, responses } = h.open();
    await h.session.receive(stream, event('SESSION_START'));
    expect(responses.map((r) => r.response_type)).toEqual(['CHUNK', 'CHUNK', 'CHUNK', 'FINAL']);
    expect(
      responses.slice(0, 3).map((r) => (r.prompts?.[0]?.audio_content as Uint8Array).length),
    ).toEqual([300, 300, 200]);
    expect(responses[3]?.prompts).toEqual([]);
  });

  it('drops prompts without audio when text-only prompts are dropped', async () => {
    const h = harness({ settings: { textOnlyPrompts: 'drop' } });
    h.connector.onEvent = () => ({
      prompts: [{ text: 'text only' }, { text: 'spoken', audio: new Uint8Array(160) }],
    });
    const { stream, responses } = h.open();
    await h.session.receive(stream, event('NO_INPUT'));
    expect(responses[0]?.prompts?.map((p) => p.text)).toEqual(['spoken']);
  });

  it('remembers the input config a reply asks for as the next default', async () => {
    const h = harness();
    h.connector.onEvent = () => ({ prompts: [], inputMode: 'INPUT_EVENT_DTMF' });
    await send(h.session, h.open().stream, [event('CUSTOM_EVENT', 'x')]);
    h.connector.onEvent = () => null;
    const { stream, responses } = h.open();
    await h.session.receive(stream, event('NO_INPUT'));
    expect(responses[0]?.input_mode).toBe('INPUT_EVENT_DTMF');
    expect(h.session.state.input.inputMode).toBe('INPUT_EVENT_DTMF');
  });

  it('writes nothing to a stream closed while the connector was answering, and keeps the input config', async () => {
    const h = harness();
    let release: () => void = () => undefined;
    h.connector.onEvent = () =>
      new Promise((resolve) => {
        release = () => resolve({ prompts: [{ text: 'late' }], inputMode: 'INPUT_VOICE' });
      });
    const { stream, responses } = h.open();
    const pending = h.session.receive(stream, event('CUSTOM_EVENT', 'x'));
    await Promise.resolve();
    stream.close();
    release();
    await pending;
    expect(responses).toEqual([]);
    expect(h.session.state.input.inputMode).toBe('INPUT_VOICE_DTMF');
  });

  it('handles the inputs of one conversation in order, across streams', async () => {
    const h = harness();
    let release: () => void = () => undefined;
    h.connector.onStart = () =>
      new Promise((resolve) => {
        release = () => resolve(null);
      });
    const first = h.session.receive(h.open().stream, event('SESSION_START'));
    const second = h.session.receive(h.open().stream, dtmf('1'));
    await Promise.resolve();
    expect(h.connector.calls).toEqual(['start:']);
    release();
    await Promise.all([first, second]);
    expect(h.connector.calls).toEqual(['start:', 'dtmf:1']);
  });
});

describe('around each turn', () => {
  it('runs every turn’s work inside aroundTurn, once per turn, never for audio frames or ignored inputs', async () => {
    const around: string[] = [];
    const h = harness({
      aroundTurn: async (kind, details, work) => {
        around.push(`begin ${kind} ${JSON.stringify(details)}`);
        await work();
        around.push(`end ${kind}`);
      },
    });
    await send(h.session, h.open().stream, [
      event('SESSION_START'),
      event('SESSION_START'),
      dtmf('1'),
      ...frames(utterance(500, 400)),
    ]);
    expect(around).toEqual([
      'begin event {"event":"SESSION_START"}',
      'end event',
      'begin dtmf {"digits":1}',
      'end dtmf',
      'begin speech {"ms":1100,"end":"silence","barge_in":false}',
      'end speech',
    ]);
  });
});
