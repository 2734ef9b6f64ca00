// What a ProcessCallerInput request carries besides caller audio is bounded before it is decoded:
// decoding multiplies DTMF keys and small messages (about 40 times for packed DTMF), so one large
// request could exhaust a server's memory.

import {
  ByovaError,
  MAX_AUDIO_INPUT_RECORDS,
  MAX_REQUEST_NON_AUDIO_BYTES,
  OVERSIZED_REQUEST,
  PROCESS_CALLER_INPUT_PATH,
  VOICE_VIRTUAL_AGENT_SERVICE,
  limitRequestSize,
  loadByovaPackageDefinition,
  measureRequest,
  nonAudioBytes,
  parseVoiceVARequest,
  type VoiceVARequest,
  type VoiceVARequest__Output,
} from '../src';

function method(maxRequestNonAudioBytes?: number) {
  const definition = loadByovaPackageDefinition(
    maxRequestNonAudioBytes === undefined ? {} : { maxRequestNonAudioBytes },
  );
  const service = definition[VOICE_VIRTUAL_AGENT_SERVICE] as unknown as Record<
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

/** An `audio_input` record (field 6) holding `inner`, encoded by hand. */
function audioRecord(inner: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0x32]), varint(inner.length), inner]);
}

function varint(value: number): Buffer {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Buffer.from(out);
}

describe('nonAudioBytes', () => {
  it('counts everything but the caller_audio bytes inside audio_input', () => {
    const audio = serialize({
      conversation_id: 'c-1',
      audio_input: { caller_audio: Buffer.alloc(100_000, 0xff), sample_rate_hertz: 8000 },
    });
    // "c-1" with its tag and length; audio_input's tag and length (1 + 3); caller_audio's tag and
    // length (1 + 3); sample_rate_hertz with its tag (1 + 2).
    expect(nonAudioBytes(audio)).toBe(5 + 4 + 4 + 3);
    expect(nonAudioBytes(audio)).toBe(audio.length - 100_000);
    const keys = serialize(dtmfRequest(1000));
    expect(nonAudioBytes(keys)).toBe(keys.length);
  });

  it('counts the rest of audio_input: its language_code and unknown fields', () => {
    const language = serialize({
      conversation_id: 'c-1',
      audio_input: { caller_audio: Buffer.alloc(10, 0xff), language_code: 'x'.repeat(100_000) },
    });
    expect(nonAudioBytes(language)).toBe(language.length - 10);
    // An unknown length-delimited field 9 inside audio_input, of 100,000 bytes.
    const unknown = audioRecord(
      Buffer.concat([Buffer.from([0x4a]), varint(100_000), Buffer.alloc(100_000)]),
    );
    expect(nonAudioBytes(unknown)).toBe(unknown.length);
  });

  it('counts the audio_input records, and gives up on a record whose framing it cannot follow', () => {
    const tiny = audioRecord(Buffer.from([0x0a, 0x01, 0xff])); // caller_audio: one byte
    const many = Buffer.concat(new Array<Buffer>(1000).fill(tiny));
    expect(measureRequest(many)).toEqual({ nonAudioBytes: 4 * 1000, audioInputRecords: 1000 });
    expect(measureRequest(audioRecord(Buffer.from([0x0a, 0x05, 0x61])))).toBeUndefined();
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
    expect((decoded as { [OVERSIZED_REQUEST]?: string })[OVERSIZED_REQUEST]).toBe(
      `request carries ${bytes.length} bytes besides caller audio; the limit is ${MAX_REQUEST_NON_AUDIO_BYTES}`,
    );
    expect(() => parseVoiceVARequest(decoded)).toThrow(
      new ByovaError(
        'BYOVA_ERR_INVALID_REQUEST',
        `request carries ${bytes.length} bytes besides caller audio; the limit is ${MAX_REQUEST_NON_AUDIO_BYTES}`,
      ),
    );
    expect(method().path).toBe(PROCESS_CALLER_INPUT_PATH);
  });

  it('does not decode a request with a large language_code in its audio_input', () => {
    const bytes = serialize({
      conversation_id: 'c-1',
      audio_input: { caller_audio: Buffer.alloc(10), language_code: 'x'.repeat(100_000) },
    });
    const decoded = method().requestDeserialize(bytes);
    expect(decoded.audio_input ?? undefined).toBeUndefined();
    expect(() => parseVoiceVARequest(decoded)).toThrow(
      `request carries ${bytes.length - 10} bytes besides caller audio; the limit is ${MAX_REQUEST_NON_AUDIO_BYTES}`,
    );
  });

  it(`does not decode a request of more than ${MAX_AUDIO_INPUT_RECORDS} audio_input records`, () => {
    const record = audioRecord(Buffer.from([0x0a, 0x02, 0xff, 0xff]));
    const within = Buffer.concat(new Array<Buffer>(MAX_AUDIO_INPUT_RECORDS).fill(record));
    expect(method().requestDeserialize(within).audio_input?.caller_audio).toHaveLength(2);
    const beyond = Buffer.concat([within, record]);
    const decoded = method().requestDeserialize(beyond);
    expect(decoded.audio_input ?? undefined).toBeUndefined();
    expect(() => parseVoiceVARequest(decoded)).toThrow(
      `request carries ${MAX_AUDIO_INPUT_RECORDS + 1} audio_input records; the limit is ${MAX_AUDIO_INPUT_RECORDS}`,
    );
  });

  it('takes the limit from the loader options, each limit defined once', () => {
    const bytes = serialize(dtmfRequest(2000));
    expect(method().requestDeserialize(bytes).dtmf_input?.dtmf_events).toHaveLength(2000);
    expect(() => parseVoiceVARequest(method(1024).requestDeserialize(bytes))).toThrow(
      `request carries ${bytes.length} bytes besides caller audio; the limit is 1024`,
    );
    expect(loadByovaPackageDefinition({ maxRequestNonAudioBytes: 1024 })).toBe(
      loadByovaPackageDefinition({ maxRequestNonAudioBytes: 1024 }),
    );
    expect(
      loadByovaPackageDefinition({ maxRequestNonAudioBytes: MAX_REQUEST_NON_AUDIO_BYTES }),
    ).toBe(loadByovaPackageDefinition());
    expect(() => loadByovaPackageDefinition({ maxRequestNonAudioBytes: 0 })).toThrow(
      new ByovaError(
        'BYOVA_ERR_INVALID_ARGUMENT',
        'the request size limit must be a positive integer of bytes, not 0',
      ),
    );
  });

  it('never hands malformed framing to the decoder it wraps: an empty request, marked, instead', () => {
    const seen: number[] = [];
    const decode = limitRequestSize((b: Buffer) => {
      seen.push(b.length);
      return {};
    });
    const refused = decode(Buffer.from([0x0a, 0x05, 0x61])) as { [OVERSIZED_REQUEST]?: string };
    expect(seen).toEqual([0]);
    expect(refused[OVERSIZED_REQUEST]).toMatch(/framing cannot be followed/);
  });
});

describe('a request whose framing the size check cannot follow', () => {
  const oversizedBy = (bytes: Buffer): unknown =>
    (method(1024).requestDeserialize(bytes) as { [OVERSIZED_REQUEST]?: string })[OVERSIZED_REQUEST];

  it('is refused undecoded, not decoded unbounded: an unknown group protobuf would skip', () => {
    const flood = serialize(dtmfRequest(100_000));
    expect(oversizedBy(flood)).toMatch(/besides caller audio/);
    // Field 15, wire type 3 (start group), then its end group: protobuf skips it, the walk cannot.
    const withGroup = Buffer.concat([flood, Buffer.from([0x7b, 0x7c])]);
    expect(oversizedBy(withGroup)).toMatch(/framing cannot be followed/);
  });

  it('is refused undecoded when a length varint runs past 32 bits', () => {
    const flood = serialize(dtmfRequest(100_000));
    // audio_input with a 6-byte length: protobuf cuts it to 32 bits, the walk sees it past the end.
    const overlong = Buffer.concat([
      flood,
      Buffer.from([0x32, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]),
    ]);
    expect(oversizedBy(overlong)).toMatch(/framing cannot be followed/);
  });
});
