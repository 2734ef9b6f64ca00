import { parseVoiceVARequest, type VoiceVARequest__Output } from '../src';

function request(overrides: Partial<VoiceVARequest__Output>): VoiceVARequest__Output {
  return {
    conversation_id: 'conv-1',
    customer_org_id: 'org',
    virtual_agent_id: 'agent',
    allow_partial_responses: false,
    vendor_specific_config: '',
    additional_info: {},
    ...overrides,
  };
}

describe('parseVoiceVARequest', () => {
  it('returns the envelope and a DTMF entry as keys', () => {
    const parsed = parseVoiceVARequest(
      request({
        voice_va_input_type: 'dtmf_input',
        dtmf_input: { dtmf_events: ['DTMF_DIGIT_ZERO', 'DTMF_DIGIT_STAR'] },
      }),
    );
    expect(parsed).toMatchObject({
      conversationId: 'conv-1',
      customerOrgId: 'org',
      virtualAgentId: 'agent',
    });
    expect(parsed.input).toEqual({
      kind: 'dtmf',
      events: ['DTMF_DIGIT_ZERO', 'DTMF_DIGIT_STAR'],
      keys: ['0', '*'],
    });
  });

  it('returns an event with its Struct parameters as JSON', () => {
    const parsed = parseVoiceVARequest(
      request({
        voice_va_input_type: 'event_input',
        event_input: {
          event_type: 'CUSTOM_EVENT',
          name: 'my_custom',
          parameters: { fields: { departmentId: { stringValue: '42', kind: 'stringValue' } } },
        },
      }),
    );
    expect(parsed.input).toEqual({
      kind: 'event',
      type: 'CUSTOM_EVENT',
      name: 'my_custom',
      parameters: { departmentId: '42' },
    });
  });

  it('returns audio frames as they are', () => {
    const audio = {
      caller_audio: Buffer.alloc(160, 0xff),
      encoding: 'MULAW_FORMAT' as const,
      sample_rate_hertz: 8000,
      audio_timestamp: null,
      language_code: 'en-US',
      is_single_utterance: false,
    };
    expect(
      parseVoiceVARequest(request({ voice_va_input_type: 'audio_input', audio_input: audio }))
        .input,
    ).toEqual({
      kind: 'audio',
      audio,
    });
  });

  it('reports a request with no input as kind none', () => {
    expect(parseVoiceVARequest(request({})).input).toEqual({ kind: 'none' });
    expect(
      parseVoiceVARequest(request({ voice_va_input_type: 'audio_input', audio_input: null })).input,
    ).toEqual({
      kind: 'none',
    });
  });

  it('rejects a missing, oversized or control-character conversation id with BYOVA_ERR_INVALID_REQUEST', () => {
    expect(() => parseVoiceVARequest(request({ conversation_id: '' }))).toThrow(
      /conversation_id is required/,
    );
    expect(() => parseVoiceVARequest(request({ conversation_id: 'x'.repeat(300) }))).toThrow(
      expect.objectContaining({ code: 'BYOVA_ERR_INVALID_REQUEST' }),
    );
    expect(() => parseVoiceVARequest(request({ conversation_id: 'a\nb' }))).toThrow(
      /control characters/,
    );
  });

  it('rejects a DTMF entry holding DTMF_EVENT_UNSPECIFIED', () => {
    expect(() =>
      parseVoiceVARequest(
        request({
          voice_va_input_type: 'dtmf_input',
          dtmf_input: { dtmf_events: ['DTMF_EVENT_UNSPECIFIED'] },
        }),
      ),
    ).toThrow(expect.objectContaining({ code: 'BYOVA_ERR_INVALID_DTMF' }));
  });
});
