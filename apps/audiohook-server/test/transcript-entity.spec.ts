import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateEntity } from '@org/audiohook-protocol';
import { placeResult, type SpeechResult } from '@org/speech';
import { toTranscriptEntity } from '../src/lib/transcription/transcript-entity';

const ms = (n: number) => n * 1_000_000;

const expected = JSON.parse(
  readFileSync(join(__dirname, 'fixtures/transcription/transcript-entity.json'), 'utf8'),
) as unknown;

/** The spec's example utterance, as an engine reports it: times from the stream's start (4 s). */
const result: SpeechResult = {
  id: 'engine-result-1',
  channel: 1,
  isFinal: true,
  startNs: ms(2700),
  endNs: ms(5300),
  alternatives: [
    {
      transcript: 'my number is three',
      confidence: 0.85,
      words: [
        { text: 'my', startNs: ms(2750), endNs: ms(3140), confidence: 0.9 },
        { text: 'number', startNs: ms(3140), endNs: ms(3640), confidence: 0.8 },
        { text: 'is', startNs: ms(3640), endNs: ms(3840) },
        { text: 'three.', startNs: ms(3840), endNs: ms(5300) },
      ],
    },
  ],
};

describe('transcript entities', () => {
  it('builds the spec §10.1 entity of a placed result, and it validates', () => {
    const timed = placeResult(result, (ns) => ms(4000) + ns, {
      id: '6f1c2a3e-8b4d-4c5e-9f60-718293a4b5c6',
      channelId: 1,
      language: 'en-US',
    });
    const entity = toTranscriptEntity(timed);
    expect(entity).toEqual(expected);
    expect(validateEntity(entity)).toEqual(expected);
  });

  it('leaves languages out when the result has none', () => {
    const timed = placeResult(result, (ns) => ns, {
      id: '6f1c2a3e-8b4d-4c5e-9f60-718293a4b5c6',
      channelId: 0,
    });
    const entity = toTranscriptEntity(timed) as { data: { alternatives: object[] } };
    expect(entity.data.alternatives[0]).not.toHaveProperty('languages');
  });
});
