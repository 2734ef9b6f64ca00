import { status } from '@grpc/grpc-js';
import { encodeAlaw, decodeUlaw, parseWav } from '@org/audio';
import {
  AGENT,
  ORG,
  audioRequests,
  dtmf,
  event,
  eventTypes,
  startGateway,
  testConfig,
  utterance,
  type RunningGateway,
} from './helpers/gateway';

let gw: RunningGateway;
let n = 0;
const conv = (): string => `conv-${++n}-${Date.now()}`;

beforeAll(async () => {
  gw = await startGateway();
});
afterAll(async () => {
  await gw.stop();
});

async function startSession(id: string): Promise<void> {
  const { responses, error } = await gw.client.rpc([event(id, 'SESSION_START', {}, 'call_start')]);
  expect(error).toBeUndefined();
  expect(responses).toHaveLength(1);
}

describe('session start', () => {
  it('answers SESSION_START with one FINAL welcome prompt: a u-law 8 kHz WAV, not interruptible, with the input config', async () => {
    const id = conv();
    const { responses, error } = await gw.client.rpc([
      event(id, 'SESSION_START', {}, 'call_start'),
    ]);
    expect(error).toBeUndefined();
    expect(responses).toHaveLength(1);
    const [welcome] = responses;
    expect(welcome?.response_type).toBe('FINAL');
    expect(welcome?.prompts).toHaveLength(1);
    const prompt = welcome?.prompts[0];
    expect(prompt?.text).toMatch(/^Hello, welcome to the webex contact center/);
    expect(prompt?.is_barge_in_enabled).toBe(false);
    const wav = parseWav(prompt?.audio_content as Buffer);
    expect(wav.format).toEqual({ encoding: 'ulaw', sampleRate: 8000, channels: 1 });
    expect(wav.durationSeconds).toBeGreaterThan(1);
    expect(welcome?.input_mode).toBe('INPUT_VOICE_DTMF');
    expect(welcome?.input_handling_config?.dtmf_config).toEqual({
      dtmf_input_length: 1,
      inter_digit_timeout_msec: 3000,
      termchar: 'DTMF_DIGIT_POUND',
    });
    expect(welcome?.input_handling_config?.speech_timers?.complete_timeout_msec).toBe(5000);
    expect(gw.gateway.registry.get(id)?.welcomed).toBe(true);
  });

  it('uses the default agent when virtual_agent_id is empty', async () => {
    const id = conv();
    const { responses, error } = await gw.client.rpc([
      event(id, 'SESSION_START', { virtual_agent_id: '' }),
    ]);
    expect(error).toBeUndefined();
    expect(responses[0]?.prompts).toHaveLength(1);
    expect(gw.gateway.registry.get(id)?.agentId).toBe(AGENT);
  });

  it('ignores a duplicate SESSION_START: no second welcome, the stream completes OK', async () => {
    const id = conv();
    await startSession(id);
    const { responses, error } = await gw.client.rpc([event(id, 'SESSION_START')]);
    expect(error).toBeUndefined();
    expect(responses).toEqual([]);
  });

  it('keeps the conversation across streams after a half-close', async () => {
    const id = conv();
    await startSession(id);
    await gw.client.rpc([event(id, 'CUSTOM_EVENT', {}, 'ping')]);
    expect(gw.gateway.registry.get(id)?.turns).toBe(2);
  });
});

describe('voice turns', () => {
  it('sends START_OF_INPUT once, END_OF_INPUT at the end of speech, then the reply, and completes OK', async () => {
    const id = conv();
    await startSession(id);
    const { responses, error } = await gw.client.rpc(audioRequests(id, utterance(1000, 800)), {
      stopWhen: (r) => r.output_events.some((e) => e.event_type === 'END_OF_INPUT'),
    });
    expect(error).toBeUndefined();
    expect(eventTypes(responses)).toEqual(['START_OF_INPUT', 'END_OF_INPUT']);
    const start = responses[0];
    expect(start?.prompts).toEqual([]);
    expect(start?.response_type).toBe('FINAL'); // event-only: no type on the wire
    expect(responses[1]?.output_events[0]?.name).toBe('end_of_input');
    const reply = responses[2];
    expect(reply?.response_type).toBe('FINAL');
    expect(reply?.prompts[0]?.text).toMatch(/Press 5 for an agent/);
    expect(reply?.prompts[0]?.is_barge_in_enabled).toBe(true);
    expect(responses).toHaveLength(3);
  });

  it('treats declared MULAW/8000 frames exactly like UNSPECIFIED/0 frames', async () => {
    const id = conv();
    await startSession(id);
    const { responses } = await gw.client.rpc(
      audioRequests(id, utterance(600, 600), { encoding: 'MULAW_FORMAT', rate: 8000 }),
    );
    expect(eventTypes(responses)).toEqual(['START_OF_INPUT', 'END_OF_INPUT']);
  });

  it('decodes A-law caller audio', async () => {
    const id = conv();
    await startSession(id);
    const alaw = encodeAlaw(decodeUlaw(utterance(600, 600)));
    const { responses } = await gw.client.rpc(
      audioRequests(id, alaw, { encoding: 'ALAW_FORMAT', rate: 8000 }),
    );
    expect(eventTypes(responses)).toEqual(['START_OF_INPUT', 'END_OF_INPUT']);
  });

  it('sends nothing for silence alone and completes OK at the half-close', async () => {
    const id = conv();
    await startSession(id);
    const { responses, error } = await gw.client.rpc(
      audioRequests(id, new Uint8Array(8000).fill(0xff)),
    );
    expect(error).toBeUndefined();
    expect(responses).toEqual([]);
  });

  it('honours barge-in: speech on the stream opened while a barge-in prompt plays raises START_OF_INPUT', async () => {
    const id = conv();
    await startSession(id);
    // The reply to the first utterance is barge-in enabled; WxCC opens the next stream at once.
    const first = await gw.client.rpc(audioRequests(id, utterance(500, 600)));
    expect(first.responses.at(-1)?.prompts[0]?.is_barge_in_enabled).toBe(true);
    const second = await gw.client.rpc(audioRequests(id, utterance(400, 0, 100)));
    expect(eventTypes(second.responses)).toEqual(['START_OF_INPUT']);
  });

  it('skips an undecodable frame (odd LINEAR16 length) without failing the call', async () => {
    const id = conv();
    await startSession(id);
    const requests = audioRequests(id, utterance(500, 600));
    requests.splice(2, 0, {
      conversation_id: id,
      audio_input: {
        caller_audio: Buffer.alloc(161),
        encoding: 'LINEAR16_FORMAT',
        sample_rate_hertz: 8000,
      },
    });
    const { responses, error } = await gw.client.rpc(requests);
    expect(error).toBeUndefined();
    expect(eventTypes(responses)).toEqual(['START_OF_INPUT', 'END_OF_INPUT']);
  });

  it('skips a frame with an encoding the contract does not name (7): the stream goes on, the frame is counted, no INTERNAL', async () => {
    const { metrics } = gw.gateway;
    const skippedBefore = await metrics.badRequests.get();
    const internalBefore = await metrics.rpcs.get({
      method: 'ProcessCallerInput',
      code: 'INTERNAL',
    });
    const id = conv();
    await startSession(id);
    const requests = audioRequests(id, utterance(500, 600));
    // Sent as the number 7 on the wire; the server's loader passes it through as a number.
    requests.splice(2, 0, {
      conversation_id: id,
      audio_input: { caller_audio: Buffer.alloc(160, 0xff), encoding: 7 as never },
    });
    const { responses, error } = await gw.client.rpc(requests);
    expect(error).toBeUndefined();
    expect(eventTypes(responses)).toEqual(['START_OF_INPUT', 'END_OF_INPUT']);
    expect(await metrics.badRequests.get()).toBe(skippedBefore + 1);
    expect(await metrics.rpcs.get({ method: 'ProcessCallerInput', code: 'INTERNAL' })).toBe(
      internalBefore,
    );
  });

  it('ends the call when the caller hangs up in the middle of a turn', async () => {
    const id = conv();
    await startSession(id);
    const requests = audioRequests(id, utterance(400, 0)).slice(0, 30);
    requests.push(event(id, 'SESSION_END', {}, 'call_end'));
    const { responses, error } = await gw.client.rpc(requests, { halfClose: false });
    expect(error).toBeUndefined();
    expect(eventTypes(responses).at(-1)).toBe('SESSION_END');
    expect(responses.at(-1)?.output_events[0]?.name).toBe('session_ended_by_client');
    expect(gw.gateway.registry.get(id)).toBeUndefined();
  });
});

describe('DTMF', () => {
  it('closes START_OF_DTMF with an empty FINAL carrying the input config', async () => {
    const id = conv();
    await startSession(id);
    const { responses, error } = await gw.client.rpc([event(id, 'START_OF_DTMF')]);
    expect(error).toBeUndefined();
    expect(responses).toHaveLength(1);
    expect(responses[0]).toMatchObject({
      response_type: 'FINAL',
      prompts: [],
      output_events: [],
      input_mode: 'INPUT_VOICE_DTMF',
    });
    expect(gw.gateway.registry.get(id)?.dtmfMode).toBe(true);
  });

  it('transfers on 5: prompt plus TRANSFER_TO_AGENT as the one event, stream ended by the server, conversation gone', async () => {
    const id = conv();
    await startSession(id);
    const { responses, error } = await gw.client.rpc([dtmf(id, ['DTMF_DIGIT_FIVE'])], {
      halfClose: false,
    });
    expect(error).toBeUndefined();
    expect(responses).toHaveLength(1);
    const [transfer] = responses;
    expect(transfer?.output_events).toHaveLength(1);
    expect(transfer?.output_events[0]).toMatchObject({
      event_type: 'TRANSFER_TO_AGENT',
      name: 'transfer_requested',
    });
    expect(transfer?.output_events[0]?.metadata?.fields['reason']?.stringValue).toBe('dtmf');
    expect(transfer?.prompts[0]?.text).toBe('Transferring you to an agent. Please wait.');
    expect(transfer?.prompts[0]?.is_barge_in_enabled).toBe(false);
    expect(transfer?.input_mode).toBe('INPUT_VOICE_DTMF');
    expect(gw.gateway.registry.get(id)).toBeUndefined();
    // A later stream for the same conversation starts fresh.
    const again = await gw.client.rpc([event(id, 'SESSION_START')]);
    expect(again.responses[0]?.prompts[0]?.text).toMatch(/^Hello/);
  });

  it('ends the session on 6: goodbye prompt plus SESSION_END, no input mode or config', async () => {
    const id = conv();
    await startSession(id);
    const { responses } = await gw.client.rpc([dtmf(id, ['DTMF_DIGIT_SIX'])]);
    expect(responses).toHaveLength(1);
    expect(responses[0]?.output_events[0]).toMatchObject({
      event_type: 'SESSION_END',
      name: 'session_ended',
    });
    expect(responses[0]?.prompts[0]?.text).toBe('Thank you for calling. Goodbye!');
    expect(responses[0]?.input_mode).toBe('INPUT_VOICE_MODE_UNSPECIFIED');
    expect(responses[0]?.input_handling_config).toBeNull();
  });

  it('strips the terminator key before matching an entry', async () => {
    const id = conv();
    await startSession(id);
    const { responses } = await gw.client.rpc([dtmf(id, ['DTMF_DIGIT_FIVE', 'DTMF_DIGIT_POUND'])]);
    expect(eventTypes(responses)).toEqual(['TRANSFER_TO_AGENT']);
  });

  it('answers an empty entry and an unmapped entry with a plain FINAL (no terminal event)', async () => {
    const id = conv();
    await startSession(id);
    for (const keys of [[], ['DTMF_DIGIT_ZERO', 'DTMF_DIGIT_STAR']]) {
      const { responses, error } = await gw.client.rpc([dtmf(id, keys)]);
      expect(error).toBeUndefined();
      expect(responses).toHaveLength(1);
      expect(responses[0]).toMatchObject({
        response_type: 'FINAL',
        prompts: [],
        output_events: [],
      });
    }
  });

  it('handles SESSION_START and DTMF 5 in one stream without a half-close', async () => {
    const id = conv();
    const { responses, error } = await gw.client.rpc(
      [event(id, 'SESSION_START'), dtmf(id, ['DTMF_DIGIT_FIVE'])],
      {
        halfClose: false,
      },
    );
    expect(error).toBeUndefined();
    expect(responses).toHaveLength(2);
    expect(eventTypes(responses)).toEqual(['TRANSFER_TO_AGENT']);
  });
});

describe('other events', () => {
  it('answers NO_INPUT with a plain FINAL, never an OutputEvent NO_INPUT', async () => {
    const id = conv();
    await startSession(id);
    const { responses } = await gw.client.rpc([event(id, 'NO_INPUT')]);
    expect(responses).toHaveLength(1);
    expect(responses[0]?.output_events).toEqual([]);
    expect(responses[0]?.input_mode).toBe('INPUT_VOICE_DTMF');
  });

  it('answers a caller hang-up with SESSION_END session_ended_by_client and forgets the conversation', async () => {
    const id = conv();
    await startSession(id);
    const { responses, error } = await gw.client.rpc([event(id, 'SESSION_END', {}, 'call_end')]);
    expect(error).toBeUndefined();
    expect(responses).toHaveLength(1);
    expect(responses[0]?.prompts).toEqual([]);
    expect(responses[0]?.output_events[0]).toMatchObject({
      event_type: 'SESSION_END',
      name: 'session_ended_by_client',
    });
    expect(gw.gateway.registry.get(id)).toBeUndefined();
  });

  it('answers a hang-up for an unknown conversation without creating one', async () => {
    const id = conv();
    const { responses } = await gw.client.rpc([event(id, 'SESSION_END')]);
    expect(eventTypes(responses)).toEqual(['SESSION_END']);
    expect(gw.gateway.registry.get(id)).toBeUndefined();
  });
});

describe('errors', () => {
  it('rejects an unknown virtual agent with NOT_FOUND', async () => {
    const { error } = await gw.client.rpc([
      event(conv(), 'SESSION_START', { virtual_agent_id: 'No Such Agent' }),
    ]);
    expect(error?.code).toBe(status.NOT_FOUND);
    expect(error?.details).toBe('Agent not found: No Such Agent');
  });

  it('rejects a request without conversation_id with INVALID_ARGUMENT, counted under that code and not INTERNAL', async () => {
    const { rpcs } = gw.gateway.metrics;
    const method = 'ProcessCallerInput';
    const invalidBefore = await rpcs.get({ method, code: 'INVALID_ARGUMENT' });
    const internalBefore = await rpcs.get({ method, code: 'INTERNAL' });
    const { error } = await gw.client.rpc([event('', 'SESSION_START')]);
    expect(error?.code).toBe(status.INVALID_ARGUMENT);
    expect(error?.details).toMatch(/conversation_id is required/);
    expect(await rpcs.get({ method, code: 'INVALID_ARGUMENT' })).toBe(invalidBefore + 1);
    expect(await rpcs.get({ method, code: 'INTERNAL' })).toBe(internalBefore);
  });

  it('rejects a conversation re-used with another agent with INVALID_ARGUMENT', async () => {
    const id = conv();
    await startSession(id);
    const { error } = await gw.client.rpc([
      event(id, 'CUSTOM_EVENT', { virtual_agent_id: 'Other Agent' }),
    ]);
    expect(error?.code).toBe(status.INVALID_ARGUMENT);
    expect(error?.details).toBe('virtual_agent_id does not match the existing conversation');
  });

  it('rejects a stream whose conversation_id changes with INVALID_ARGUMENT', async () => {
    const id = conv();
    const { error } = await gw.client.rpc([event(id, 'SESSION_START'), event(conv(), 'NO_INPUT')], {
      halfClose: false,
    });
    expect(error?.code).toBe(status.INVALID_ARGUMENT);
  });

  it('rejects a DTMF entry holding DTMF_EVENT_UNSPECIFIED with INVALID_ARGUMENT', async () => {
    const id = conv();
    await startSession(id);
    const { error } = await gw.client.rpc([dtmf(id, ['DTMF_EVENT_UNSPECIFIED'])]);
    expect(error?.code).toBe(status.INVALID_ARGUMENT);
    expect(error?.details).toMatch(/not a DTMF key/);
    // The conversation survives a bad request.
    expect(gw.gateway.registry.get(id)).toBeDefined();
  });

  it('completes a stream with no requests with OK', async () => {
    const { responses, error } = await gw.client.rpc([]);
    expect(error).toBeUndefined();
    expect(responses).toEqual([]);
  });
});

describe('ListVirtualAgents and health', () => {
  it('lists the local agent as the one default agent', async () => {
    const response = await new Promise<unknown>((resolve, reject) =>
      gw.client.va.ListVirtualAgents(
        { customer_org_id: ORG, is_default_virtual_agent_enabled: true },
        (err, res) => (err ? reject(err) : resolve(res)),
      ),
    );
    expect(response).toEqual({
      virtual_agents: [
        {
          virtual_agent_id: AGENT,
          virtual_agent_name: 'Local Playback',
          is_default: true,
          attributes: {},
        },
      ],
    });
  });

  it('reports SERVING for the known service names and NOT_FOUND for others', async () => {
    const check = (service: string): Promise<{ status?: string; code?: number }> =>
      new Promise((resolve) =>
        gw.client.health.Check({ service }, (err, res) =>
          resolve(err ? { code: err.code } : { status: res?.status ?? '' }),
        ),
      );
    expect(await check('')).toEqual({ status: 'SERVING' });
    expect(await check('com.cisco.wcc.ccai.media.v1.VoiceVirtualAgent')).toEqual({
      status: 'SERVING',
    });
    expect(await check('nope')).toEqual({ code: status.NOT_FOUND });
    const list = await new Promise((resolve, reject) =>
      gw.client.health.List({}, (err, res) => (err ? reject(err) : resolve(res))),
    );
    expect(list).toMatchObject({
      statuses: { '': { status: 'SERVING' }, 'byova.gateway': { status: 'SERVING' } },
    });
  });

  it('streams the status to Watch and SERVICE_UNKNOWN for an unknown name', async () => {
    const first = (service: string): Promise<string> =>
      new Promise((resolve) => {
        const call = gw.client.health.Watch({ service });
        call.on('data', (res: { status: string }) => {
          resolve(res.status);
          call.cancel();
        });
        call.on('error', () => undefined);
      });
    expect(await first('')).toBe('SERVING');
    expect(await first('nope')).toBe('SERVICE_UNKNOWN');
  });
});

describe('CHUNK mode', () => {
  it('streams replies as raw u-law CHUNKs of 100 B to 64 KiB and one FINAL with empty audio', async () => {
    const chunky = await startGateway(
      testConfig({
        gateway: { chunk_bytes: 8000 },
        connectors: {
          local_audio_connector: {
            type: 'local_audio_connector',
            config: { audio_base_path: 'assets/prompts', reply_mode: 'chunk' },
          },
        },
      }),
    );
    try {
      const { responses } = await chunky.client.rpc([event('chunk-1', 'SESSION_START')]);
      const chunks = responses.slice(0, -1);
      expect(chunks.length).toBeGreaterThan(1);
      for (const chunk of chunks) {
        expect(chunk.response_type).toBe('CHUNK');
        const audio = chunk.prompts[0]?.audio_content as Buffer;
        expect(audio.length).toBeGreaterThanOrEqual(100);
        expect(audio.length).toBeLessThanOrEqual(8000);
        expect(audio.subarray(0, 4).toString('latin1')).not.toBe('RIFF');
      }
      const final = responses.at(-1);
      expect(final?.response_type).toBe('FINAL');
      expect(final?.prompts).toEqual([]);
      expect(final?.input_mode).toBe('INPUT_VOICE_DTMF');
    } finally {
      await chunky.stop();
    }
  });
});

describe('gateway-side no-input', () => {
  it('ends a silent turn after no_input_timeout_ms with END_OF_INPUT no_input and a plain FINAL', async () => {
    const quiet = await startGateway(
      testConfig({ voice_activity_detection: { no_input_timeout_ms: 500 } }),
    );
    try {
      await quiet.client.rpc([event('quiet-1', 'SESSION_START')]);
      const { responses, error } = await quiet.client.rpc(
        audioRequests('quiet-1', new Uint8Array(16000).fill(0xff)),
        {
          stopWhen: (r) => r.output_events.some((e) => e.event_type === 'END_OF_INPUT'),
        },
      );
      expect(error).toBeUndefined();
      expect(responses[0]?.output_events[0]).toMatchObject({
        event_type: 'END_OF_INPUT',
        name: 'no_input',
      });
      expect(responses[1]).toMatchObject({
        response_type: 'FINAL',
        output_events: [],
        input_mode: 'INPUT_VOICE_DTMF',
      });
      expect(responses).toHaveLength(2);
    } finally {
      await quiet.stop();
    }
  });
});
