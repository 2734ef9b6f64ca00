// What a ProcessCallerInput request carries besides caller audio is bounded before it is decoded:
// decoding multiplies DTMF keys and small messages (about 40 times for packed DTMF), so one large
// request could exhaust a server's memory.

import {
  ByovaError,
  MAX_REQUEST_NON_AUDIO_BYTES,
  OVERSIZED_REQUEST,
  PROCESS_CALLER_INPUT_PATH,
  VOICE_VIRTUAL_AGENT_SERVICE,
  limitRequestSize,
  loadByovaPackageDefinition,
  nonAudioBytes,
  parseVoiceVARequest,
  type VoiceVARequest,
  type VoiceVARequest__Output,
} from '../src';

function method() {
  const service = loadByovaPackageDefinition()[VOICE_VIRTUAL_AGENT_SERVICE] as unknown as Record<
    string,
    {
      path: string;
      requestSerialize: (m: VoiceVARequest) => Buffer;
      requestDeserialize: (b: Buffer) => VoiceVARequest__Output;
    }
  >;
  const m = service['ProcessCallerInput'];
  if (m === undefined) throw new Error('no ProcessCallerInput');
  return m;
}

const serialize = (request: VoiceVARequest): Buffer => method().requestSerialize(request);

function dtmfRequest(keys: number): VoiceVARequest {
  return {
    conversation_id: 'c-1',
    dtmf_input: { dtmf_events: new Array<'DTMF_DIGIT_FIVE'>(keys).fill('DTMF_DIGIT_FIVE') },
  };
}

describe('nonAudioBytes', () => {
  it('counts everything but the audio_input records', () => {
    const audio = serialize({
      conversation_id: 'c-1',
      audio_input: { caller_audio: Buffer.alloc(100_000, 0xff), sample_rate_hertz: 8000 },
    });
    expect(nonAudioBytes(audio)).toBe(5); // tag, length, "c-1"
    const keys = serialize(dtmfRequest(1000));
    expect(nonAudioBytes(keys)).toBe(keys.length);
  });

  it('follows every wire type of the contract, and gives up on framing it cannot follow', () => {
    // allow_partial_responses (varint), an unknown fixed64 and fixed32 field, then a string.
    const bytes = Buffer.from([0x20, 0x01, 0x79, 1, 2, 3, 4, 5, 6, 7, 8, 0x7d, 1, 2, 3, 4]);
    expect(nonAudioBytes(bytes)).toBe(bytes.length);
    expect(nonAudioBytes(Buffer.from([0x0a, 0x05, 0x61]))).toBeUndefined(); // length past the end
    expect(nonAudioBytes(Buffer.from([0x0b, 0x0c]))).toBeUndefined(); // a group
    expect(nonAudioBytes(Buffer.from([0x80]))).toBeUndefined(); // a tag cut short
    expect(nonAudioBytes(Buffer.from([0x20, 0x80]))).toBeUndefined(); // a varint cut short
    expect(nonAudioBytes(Buffer.from([0x0a, 0x80]))).toBeUndefined(); // a length cut short
  });
});

describe('the server-side request decoder', () => {
  it('decodes requests within the limit, DTMF entries and large caller audio alike', () => {
    const decode = method().requestDeserialize;
    expect(decode(serialize(dtmfRequest(1000))).dtmf_input?.dtmf_events).toHaveLength(1000);
    const audio = decode(
      serialize({
        conversation_id: 'c-1',
        audio_input: { caller_audio: Buffer.alloc(1_000_000, 0xff) },
      }),
    );
    expect(audio.audio_input?.caller_audio).toHaveLength(1_000_000);
    expect(parseVoiceVARequest(audio).input.kind).toBe('audio');
  });

  it('does not decode a request carrying more than the limit outside caller audio', () => {
    const bytes = serialize(dtmfRequest(MAX_REQUEST_NON_AUDIO_BYTES));
    const decoded = method().requestDeserialize(bytes);
    expect(decoded.dtmf_input ?? undefined).toBeUndefined();
    expect((decoded as { [OVERSIZED_REQUEST]?: number })[OVERSIZED_REQUEST]).toBe(bytes.length);
    expect(() => parseVoiceVARequest(decoded)).toThrow(
      new ByovaError(
        'BYOVA_ERR_INVALID_REQUEST',
        `request carries ${bytes.length} bytes besides caller audio; the limit is ${MAX_REQUEST_NON_AUDIO_BYTES}`,
      ),
    );
    expect(method().path).toBe(PROCESS_CALLER_INPUT_PATH);
  });

  it('leaves malformed framing to the decoder it wraps', () => {
    const seen: number[] = [];
    const decode = limitRequestSize((b: Buffer) => {
      seen.push(b.length);
      return {};
    });
    decode(Buffer.from([0x0a, 0x05, 0x61]));
    expect(seen).toEqual([3]);
  });
});
