import { parseWav } from '@org/audio';
import {
  CHUNK_MAX_BYTES,
  CHUNK_MIN_BYTES,
  buildChunkReply,
  buildWavReply,
  eventResponse,
  isTerminalEvent,
  ulawToWav,
} from '../src';

const audio = (n: number): Uint8Array => new Uint8Array(n).fill(0x7f);

describe('WAV-mode replies', () => {
  it('builds one FINAL whose prompts carry complete u-law 8 kHz mono WAV files', () => {
    const response = buildWavReply({
      prompts: [{ text: 'Hello', audio: audio(800), bargeIn: true }, { text: 'text only' }],
      inputMode: 'INPUT_VOICE_DTMF',
      inputHandlingConfig: { dtmf_config: { dtmf_input_length: 4 } },
    });
    expect(response.response_type).toBe('FINAL');
    const first = response.prompts?.[0];
    const wav = parseWav(first?.audio_content as Uint8Array);
    expect(wav.format).toEqual({ encoding: 'ulaw', sampleRate: 8000, channels: 1 });
    expect(wav.formatTag).toBe(7);
    expect(wav.data.length).toBe(800);
    expect(first?.is_barge_in_enabled).toBe(true);
    expect(response.prompts?.[1]).toEqual({ text: 'text only', is_barge_in_enabled: false });
    expect(response.input_mode).toBe('INPUT_VOICE_DTMF');
    expect(response.input_handling_config).toEqual({ dtmf_config: { dtmf_input_length: 4 } });
  });

  it('makes prompts of a SESSION_END reply uninterruptible and drops the input config', () => {
    const response = buildWavReply({
      prompts: [{ text: 'Bye', audio: audio(100), bargeIn: true }],
      event: { type: 'SESSION_END', name: 'session_ended', metadata: { reason: 'done' } },
      inputMode: 'INPUT_VOICE_DTMF',
      inputHandlingConfig: {},
      transcript: 'caller: hi',
    });
    expect(response.prompts?.[0]?.is_barge_in_enabled).toBe(false);
    expect(response.output_events).toEqual([
      {
        event_type: 'SESSION_END',
        name: 'session_ended',
        metadata: { fields: { reason: { stringValue: 'done' } } },
      },
    ]);
    expect(response.input_mode).toBeUndefined();
    expect(response.input_handling_config).toBeUndefined();
    expect(response.session_transcript).toEqual({ text: 'caller: hi' });
  });

  it('keeps the input config on a transfer, with exactly one event', () => {
    const response = buildWavReply({
      prompts: [],
      event: { type: 'TRANSFER_TO_AGENT', name: 'transfer_requested' },
      inputMode: 'INPUT_VOICE',
      inputSensitive: true,
      summary: 'wants an agent',
    });
    expect(response.output_events).toHaveLength(1);
    expect(response.input_mode).toBe('INPUT_VOICE');
    expect(response.input_sensitive).toBe(true);
    expect(response.session_summary).toEqual({ text: 'wants an agent' });
  });
});

describe('CHUNK-mode replies', () => {
  it('splits audio into CHUNK responses of raw u-law and ends with one FINAL with empty audio', () => {
    const responses = buildChunkReply(
      {
        prompts: [{ text: 'Long', audio: audio(20000), bargeIn: true }],
        event: { type: 'CUSTOM_EVENT', name: 'x' },
      },
      { chunkBytes: 8000 },
    );
    const chunks = responses.slice(0, -1);
    expect(chunks.map((r) => r.prompts?.[0]?.audio_content?.length)).toEqual([8000, 8000, 4000]);
    expect(chunks.every((r) => r.response_type === 'CHUNK')).toBe(true);
    expect(chunks[0]?.prompts?.[0]?.text).toBe('Long');
    expect(chunks[1]?.prompts?.[0]?.text).toBe('');
    // Raw audio: no RIFF header in CHUNK mode.
    expect(
      Buffer.from(chunks[0]?.prompts?.[0]?.audio_content as Uint8Array)
        .subarray(0, 4)
        .toString(),
    ).not.toBe('RIFF');
    const final = responses.at(-1);
    expect(final?.response_type).toBe('FINAL');
    expect(final?.prompts).toEqual([]);
    expect(final?.output_events?.[0]?.event_type).toBe('CUSTOM_EVENT');
  });

  it('never sends a chunk below 100 bytes', () => {
    const sizes = (n: number, chunkBytes: number): number[] =>
      buildChunkReply({ prompts: [{ audio: audio(n) }] }, { chunkBytes })
        .slice(0, -1)
        .map((r) => r.prompts?.[0]?.audio_content?.length ?? 0);
    expect(sizes(8050, 8000)).toEqual([8050]);
    expect(sizes(CHUNK_MAX_BYTES + 50, CHUNK_MAX_BYTES)).toEqual([
      CHUNK_MAX_BYTES - CHUNK_MIN_BYTES,
      150,
    ]);
    expect(sizes(40, 8000)).toEqual([CHUNK_MIN_BYTES]);
    for (const n of [100, 101, 16099, 16100, 99999]) {
      const all = sizes(n, 16000);
      expect(all.every((s) => s >= CHUNK_MIN_BYTES && s <= CHUNK_MAX_BYTES)).toBe(true);
      expect(all.reduce((a, b) => a + b, 0)).toBe(n);
    }
  });

  it('carries text-only prompts on the FINAL', () => {
    const responses = buildChunkReply({ prompts: [{ text: 'no audio' }] });
    expect(responses).toHaveLength(1);
    expect(responses[0]?.prompts).toEqual([{ text: 'no audio', is_barge_in_enabled: false }]);
  });

  it('rejects chunk sizes outside 100 B to 64 KiB', () => {
    expect(() => buildChunkReply({ prompts: [] }, { chunkBytes: 99 })).toThrow(
      expect.objectContaining({ code: 'BYOVA_ERR_INVALID_ARGUMENT' }),
    );
    expect(() => buildChunkReply({ prompts: [] }, { chunkBytes: CHUNK_MAX_BYTES + 1 })).toThrow(
      /100 to 65536/,
    );
  });
});

describe('event responses', () => {
  it('builds an event-only response with no response type (FINAL on the wire)', () => {
    expect(eventResponse('START_OF_INPUT')).toEqual({
      output_events: [{ event_type: 'START_OF_INPUT', name: '' }],
    });
    expect(
      eventResponse('END_OF_INPUT', 'end_of_input', { a: 1 }).output_events?.[0]?.metadata,
    ).toEqual({
      fields: { a: { numberValue: 1 } },
    });
  });

  it('knows which events are terminal', () => {
    expect(isTerminalEvent('SESSION_END')).toBe(true);
    expect(isTerminalEvent('TRANSFER_TO_AGENT')).toBe(true);
    expect(isTerminalEvent('CUSTOM_EVENT')).toBe(false);
    expect(isTerminalEvent(undefined)).toBe(false);
  });

  it('wraps u-law in a 44-byte header', () => {
    expect(ulawToWav(audio(10)).length).toBe(54);
  });
});
