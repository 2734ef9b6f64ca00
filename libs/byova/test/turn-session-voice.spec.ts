import { decodeUlaw, encodeAlaw } from '@org/audio';
import type { ByovaInput, TurnStream } from '../src';
import { event, eventTypes, frames, harness, send, utterance } from './helpers/turn-harness';

describe('voice turns', () => {
  it('sends START_OF_INPUT once, END_OF_INPUT after the trailing silence, then the reply', async () => {
    const h = harness();
    const { stream, responses, ...turn } = h.open();
    await send(h.session, stream, frames(utterance(1000, 800)));
    expect(eventTypes(responses)).toEqual(['START_OF_INPUT', 'END_OF_INPUT']);
    expect(responses[0]).toEqual({ output_events: [{ event_type: 'START_OF_INPUT', name: '' }] });
    expect(responses[1]).toEqual({
      output_events: [{ event_type: 'END_OF_INPUT', name: 'end_of_input' }],
    });
    expect(responses[2]).toMatchObject({ response_type: 'FINAL' });
    expect(responses[2]?.prompts?.[0]).toMatchObject({ text: 'Reply', is_barge_in_enabled: true });
    expect(responses).toHaveLength(3);
    expect(turn.completed).toBe(false);
    expect(h.connector.calls).toEqual(['speechStarted', 'utterance']);
    expect(h.seen.turns).toEqual([['speech', { ms: 1600, end: 'silence', barge_in: false }]]);
  });

  it('hands the connector the utterance with its pre-roll and trailing silence', async () => {
    const h = harness({ settings: { preRollMs: 100 } });
    await send(h.session, h.open().stream, frames(utterance(1000, 800)));
    // START at 360 ms with 100 ms of pre-roll (260-360 ms), speech to 1300 ms, 300 ms of silence.
    expect(h.connector.utterances[0]?.samples.length).toBe(1340 * 8);
    expect(h.connector.utterances[0]?.sampleRate).toBe(8000);
    // The observer sees the same utterance (for recordings of utterances only).
    expect(h.seen.utteranceSamples).toEqual([1340 * 8]);
  });

  it('ignores the rest of the stream after END_OF_INPUT: one caller turn per stream', async () => {
    const h = harness();
    const { stream, responses } = h.open();
    await send(h.session, stream, frames(utterance(500, 400)));
    await send(h.session, stream, frames(utterance(500, 400)));
    expect(eventTypes(responses)).toEqual(['START_OF_INPUT', 'END_OF_INPUT']);
    expect(h.connector.utterances).toHaveLength(1);
  });

  it('sends nothing for silence alone', async () => {
    const h = harness();
    const { stream, responses } = h.open();
    await send(h.session, stream, frames(new Uint8Array(8000).fill(0xff)));
    expect(responses).toEqual([]);
    expect(h.connector.calls).toEqual([]);
  });

  it('treats declared MULAW/8000 frames exactly like UNSPECIFIED/0 frames', async () => {
    const a = harness();
    const b = harness();
    const first = a.open();
    const second = b.open();
    await send(a.session, first.stream, frames(utterance(600, 600)));
    await send(
      b.session,
      second.stream,
      frames(utterance(600, 600), { encoding: 'MULAW_FORMAT', rate: 8000 }),
    );
    expect(eventTypes(second.responses)).toEqual(['START_OF_INPUT', 'END_OF_INPUT']);
    expect(b.connector.utterances[0]?.samples).toEqual(a.connector.utterances[0]?.samples);
  });

  it('decodes A-law caller audio', async () => {
    const h = harness();
    const { stream, responses } = h.open();
    const alaw = encodeAlaw(decodeUlaw(utterance(600, 600)));
    await send(h.session, stream, frames(alaw, { encoding: 'ALAW_FORMAT', rate: 8000 }));
    expect(eventTypes(responses)).toEqual(['START_OF_INPUT', 'END_OF_INPUT']);
  });

  it('uses the configured fallback when frames leave the format unset', async () => {
    const h = harness({ settings: { audioDefaults: { encoding: 'ALAW_FORMAT' } } });
    const { stream, responses } = h.open();
    await send(h.session, stream, frames(encodeAlaw(decodeUlaw(utterance(600, 600)))));
    expect(eventTypes(responses)).toEqual(['START_OF_INPUT', 'END_OF_INPUT']);
  });

  it('does not analyse frames shorter than minFrameBytes, but still reports their audio', async () => {
    const h = harness({ settings: { minFrameBytes: 200 } });
    const { stream, responses } = h.open();
    await send(h.session, stream, frames(utterance(600, 600)));
    expect(responses).toEqual([]);
    expect(h.seen.callerSamples.reduce((n, s) => n + s, 0)).toBe(3 + 1500 * 8);
  });

  it('skips an undecodable frame, reports it, and logs it once per stream', async () => {
    const h = harness();
    const bad: ByovaInput = {
      kind: 'audio',
      audio: {
        caller_audio: Buffer.alloc(161),
        encoding: 'LINEAR16_FORMAT',
        sample_rate_hertz: 8000,
        audio_timestamp: null,
        language_code: '',
        is_single_utterance: false,
      },
    };
    const inputs = frames(utterance(500, 600));
    inputs.splice(2, 0, bad, bad);
    const { stream, responses } = h.open();
    await send(h.session, stream, inputs);
    expect(eventTypes(responses)).toEqual(['START_OF_INPUT', 'END_OF_INPUT']);
    expect(h.seen.badAudio).toHaveLength(2);
    expect(h.seen.logs.filter(([, m]) => m === 'caller audio frame skipped')).toHaveLength(1);
  });

  it('skips a frame whose encoding the contract does not name (a raw number) like any undecodable frame', async () => {
    const h = harness();
    const unknown: ByovaInput = {
      kind: 'audio',
      audio: {
        caller_audio: Buffer.alloc(160, 0xff),
        encoding: 7 as never,
        sample_rate_hertz: 8000,
        audio_timestamp: null,
        language_code: '',
        is_single_utterance: false,
      },
    };
    const inputs = frames(utterance(500, 600));
    inputs.splice(2, 0, unknown);
    const { stream, responses } = h.open();
    await send(h.session, stream, inputs);
    expect(eventTypes(responses)).toEqual(['START_OF_INPUT', 'END_OF_INPUT']);
    expect(h.seen.badAudio).toEqual([
      expect.objectContaining({
        code: 'BYOVA_ERR_INVALID_AUDIO',
        message: expect.stringMatching(/encoding 7/),
      }),
    ]);
  });

  it('ends an utterance at the maximum length even while the caller goes on', async () => {
    const h = harness({ settings: { maxUtteranceMs: 1000 } });
    const { stream, responses } = h.open();
    await send(h.session, stream, frames(utterance(3000, 0)));
    expect(eventTypes(responses)).toEqual(['START_OF_INPUT', 'END_OF_INPUT']);
    expect(h.seen.turns[0]?.[1]).toMatchObject({ end: 'max_length' });
  });

  it('measures the reply latency on the injected clock', async () => {
    const h = harness();
    h.connector.onUtterance = () => {
      h.clock.advance(42);
      return { prompts: [{ text: 'ok' }] };
    };
    await send(h.session, h.open().stream, frames(utterance(500, 400)));
    expect(h.seen.latencies).toEqual([42]);
  });

  it('closes a speech turn the connector does not answer after END_OF_INPUT, without a FINAL', async () => {
    const h = harness();
    h.connector.onUtterance = () => null;
    const { stream, responses } = h.open();
    await send(h.session, stream, frames(utterance(500, 400)));
    expect(eventTypes(responses)).toEqual(['START_OF_INPUT', 'END_OF_INPUT']);
    expect(responses).toHaveLength(2);
  });
});

describe('barge-in', () => {
  it('tells the connector whether the prompt the caller spoke over allowed barge-in', async () => {
    const h = harness();
    await send(h.session, h.open().stream, [event('SESSION_START')]);
    // The welcome is not interruptible; the reply to the first utterance is.
    await send(h.session, h.open().stream, frames(utterance(500, 400)));
    expect(h.session.state.bargeIn).toBe(true);
    // WxCC opens the next stream while that reply plays; the caller speaks over it.
    const second = h.open();
    await send(h.session, second.stream, frames(utterance(400, 0, 100)));
    expect(eventTypes(second.responses)).toEqual(['START_OF_INPUT']);
    expect(h.connector.speechStarts).toEqual([{ bargeIn: false }, { bargeIn: true }]);
  });

  it('a reply without prompts leaves nothing to interrupt', async () => {
    const h = harness();
    await send(h.session, h.open().stream, frames(utterance(500, 400)));
    h.connector.onEvent = () => ({ prompts: [] });
    await send(h.session, h.open().stream, [event('CUSTOM_EVENT', 'x')]);
    expect(h.session.state.bargeIn).toBe(false);
  });
});

describe('DTMF mode and caller audio', () => {
  it('does not analyse caller audio between START_OF_DTMF and the entry', async () => {
    const h = harness();
    await send(h.session, h.open().stream, [event('START_OF_DTMF')]);
    const { stream, responses } = h.open();
    await send(h.session, stream, frames(utterance(600, 600)));
    expect(responses).toEqual([]);
    expect(h.seen.callerSamples.length).toBeGreaterThan(0);
  });

  it('drops the stream VAD at START_OF_DTMF in the middle of speech', async () => {
    const h = harness();
    const { stream, responses } = h.open();
    const inputs = frames(utterance(600, 600));
    await send(h.session, stream, inputs.slice(0, 30));
    await send(h.session, stream, [event('START_OF_DTMF'), ...inputs.slice(30)]);
    expect(eventTypes(responses)).toEqual(['START_OF_INPUT']);
  });
});

describe('gateway-side no-input', () => {
  it('closes a silent turn after noInputTimeoutMs with END_OF_INPUT no_input and the NO_INPUT answer', async () => {
    const h = harness({ settings: { noInputTimeoutMs: 500 } });
    const { stream, responses } = h.open();
    await send(h.session, stream, frames(new Uint8Array(16000).fill(0xff)));
    expect(responses[0]).toEqual({
      output_events: [{ event_type: 'END_OF_INPUT', name: 'no_input' }],
    });
    expect(responses[1]).toMatchObject({ response_type: 'FINAL', input_mode: 'INPUT_VOICE_DTMF' });
    expect(responses).toHaveLength(2);
    expect(h.connector.events).toEqual([
      { type: 'NO_INPUT', name: 'gateway_no_input', parameters: {} },
    ]);
    expect(h.seen.turns).toEqual([['event', { event: 'NO_INPUT', source: 'gateway' }]]);
  });

  it('does not fire while the caller is speaking', async () => {
    const h = harness({ settings: { noInputTimeoutMs: 500 } });
    const { stream, responses } = h.open();
    await send(h.session, stream, frames(utterance(900, 400, 100)));
    expect(eventTypes(responses)).toEqual(['START_OF_INPUT', 'END_OF_INPUT']);
  });

  it('is off by default', async () => {
    const h = harness();
    const { stream, responses } = h.open();
    await send(h.session, stream, frames(new Uint8Array(40000).fill(0xff)));
    expect(responses).toEqual([]);
  });
});

describe('caller hang-up in the middle of a turn', () => {
  it('ends the call when SESSION_END arrives on an audio stream', async () => {
    const h = harness();
    const turn = h.open();
    const inputs = frames(utterance(400, 0)).slice(0, 30);
    await send(h.session, turn.stream, [...inputs, event('SESSION_END', 'call_end')]);
    expect(eventTypes(turn.responses)).toEqual(['START_OF_INPUT', 'SESSION_END']);
    expect(turn.completed).toBe(true);
    expect(h.session.ended).toBe(true);
  });
});

describe('receiveNow, the synchronous path for frames', () => {
  it('handles a frame that completes nothing synchronously and returns what to wait for only at a boundary reply', async () => {
    const h = harness();
    let release: () => void = () => undefined;
    h.connector.onUtterance = () =>
      new Promise((resolve) => {
        release = () => resolve({ prompts: [{ text: 'Reply' }] });
      });
    const { stream, responses } = h.open();
    const all = frames(utterance(1000, 800));
    const pending: (Promise<void> | undefined)[] = all.map((f) => h.session.receiveNow(stream, f));
    // Every frame before the one that ends the utterance was handled at once.
    const end = pending.findIndex((p) => p !== undefined);
    expect(end).toBeGreaterThan(0);
    expect(pending.slice(0, end).every((p) => p === undefined)).toBe(true);
    expect(eventTypes(responses)).toEqual(['START_OF_INPUT', 'END_OF_INPUT']);
    // While the connector answers, later inputs queue behind the reply, in order.
    expect(pending.slice(end + 1).every((p) => p instanceof Promise)).toBe(true);
    const hangUp = h.session.receiveNow(stream, event('SESSION_END'));
    expect(hangUp).toBeInstanceOf(Promise);
    expect(h.connector.calls).toEqual(['speechStarted', 'utterance']);
    release();
    await hangUp;
    expect(responses.at(-2)).toMatchObject({ response_type: 'FINAL' });
    expect(eventTypes(responses).at(-1)).toBe('SESSION_END');
    expect(h.connector.calls).toEqual(['speechStarted', 'utterance', 'end:client_session_end']);
  });

  it('throws for a stream it did not open, and receive turns that into a rejection', async () => {
    const h = harness();
    const other = { close: () => undefined } as unknown as TurnStream;
    expect(() => h.session.receiveNow(other, { kind: 'none' })).toThrow(TypeError);
    await expect(h.session.receive(other, { kind: 'none' })).rejects.toThrow(TypeError);
  });
});
