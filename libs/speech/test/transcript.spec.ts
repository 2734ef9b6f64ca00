import { placeResult, type SpeechResult } from '../src';
import { ms } from './helpers/scripted-engine';

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
  it('places a result and its words on the session timeline, with confidences and language', () => {
    const timed = placeResult(result, (ns) => ms(4000) + ns, {
      id: '6f1c2a3e-8b4d-4c5e-9f60-718293a4b5c6',
      channelId: 1,
      language: 'en-US',
    });
    expect(timed).toEqual({
      id: '6f1c2a3e-8b4d-4c5e-9f60-718293a4b5c6',
      channelId: 1,
      isFinal: true,
      offsetNs: ms(6700),
      durationNs: ms(2600),
      language: 'en-US',
      alternatives: [
        {
          transcript: 'my number is three',
          confidence: 0.85,
          words: [
            { text: 'my', offsetNs: ms(6750), durationNs: ms(390), confidence: 0.9 },
            { text: 'number', offsetNs: ms(7140), durationNs: ms(500), confidence: 0.8 },
            { text: 'is', offsetNs: ms(7640), durationNs: ms(200), confidence: 0.85 },
            { text: 'three.', offsetNs: ms(7840), durationNs: ms(1460), confidence: 0.85 },
          ],
        },
      ],
    });
  });

  it('takes the mean word confidence when the engine gives none, 0 without words', () => {
    const withWords = placeResult(
      {
        ...result,
        alternatives: [
          {
            transcript: 'a b',
            words: [
              { text: 'a', startNs: 0, endNs: 1, confidence: 0.5 },
              { text: 'b', startNs: 1, endNs: 2, confidence: 1 },
            ],
          },
        ],
      },
      (ns) => ns,
      { id: 'x', channelId: 0 },
    );
    expect(withWords.alternatives[0]?.confidence).toBe(0.75);
    const bare = placeResult(
      { ...result, alternatives: [{ transcript: '', words: [] }] },
      (ns) => ns,
      { id: 'x', channelId: 0 },
    );
    expect(bare.alternatives[0]?.confidence).toBe(0);
    expect(bare.language).toBeUndefined();
  });

  it('covers a gap inside the utterance: duration is the mapped end minus the mapped start', () => {
    const gapAt = ms(1000);
    const timed = placeResult(
      { ...result, startNs: ms(500), endNs: ms(1500) },
      (ns) => (ns < gapAt ? ns : ns + ms(3000)),
      { id: 'x', channelId: 0 },
    );
    expect(timed.offsetNs).toBe(ms(500));
    expect(timed.durationNs).toBe(ms(4000));
  });
});
