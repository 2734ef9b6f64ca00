import {
  AudioHookErrorCode,
  agentAssistEntity,
  bargeInEntity,
  botTurnResponseEntity,
  transcriptEntity,
  validateEntity,
} from '../src';
import { fixture } from './helpers';

interface EventFixture {
  parameters: { entities: { type: string; data: unknown }[] };
}

describe('event entities', () => {
  it('validates the transcript of the catalogue fixture', () => {
    const entity = fixture<EventFixture>('messages/server/event.json').parameters.entities[0];
    expect(entity).toBeDefined();
    const known = validateEntity(entity as { type: string; data: unknown });
    expect(known.type).toBe('transcript');
  });

  it('builds transcript, barge_in, bot_turn_response and agentassist entities', () => {
    const transcript = transcriptEntity({
      id: '2f5e6c1a-8a0b-4f62-9b1e-0d2c3b4a5f60',
      channelId: 0,
      isFinal: true,
      offset: 'PT1S',
      duration: 'PT0.5S',
      alternatives: [{ confidence: 0.5, interpretations: [{ type: 'display', transcript: 'hi' }] }],
    });
    expect(transcript.type).toBe('transcript');
    expect(bargeInEntity()).toEqual({ type: 'barge_in', data: {} });
    expect(botTurnResponseEntity({ disposition: 'match', text: 'yes', confidence: 0.8 })).toEqual({
      type: 'bot_turn_response',
      data: { disposition: 'match', text: 'yes', confidence: 0.8 },
    });
    const assist = agentAssistEntity({
      id: '2f5e6c1a-8a0b-4f62-9b1e-0d2c3b4a5f60',
      utterances: [
        {
          id: 'u1',
          position: 'PT1S',
          text: 'hello',
          language: 'en-US',
          confidence: 0.9,
          channel: 'external',
          isFinal: true,
        },
      ],
      suggestions: [
        { type: 'faq', id: 'f', confidence: 0.7, question: 'q?', answer: '<b>a</b>' },
        {
          type: 'article',
          id: 'a',
          confidence: 0.6,
          title: 't',
          excerpts: ['e'],
          documentUri: 'https://kb/1',
        },
      ],
    });
    expect(assist.type).toBe('agentassist');
  });

  it('reports the failing path of an invalid documented entity', () => {
    expect(() =>
      validateEntity({
        type: 'transcript',
        data: { id: 'x', channelId: 2, isFinal: true, alternatives: [] },
      }),
    ).toThrow(
      expect.objectContaining({
        code: AudioHookErrorCode.InvalidParameters,
        path: ['data', 'id'],
      }),
    );
    expect(() => botTurnResponseEntity({ disposition: 'maybe' as 'match' })).toThrow(/disposition/);
  });

  it('passes entities of other types through unchanged', () => {
    const custom = { type: 'sentiment', data: { score: 1 } };
    expect(validateEntity(custom)).toBe(custom);
  });

  it('passes entity types named like Object.prototype members through too, instead of throwing a TypeError', () => {
    for (const type of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      const entity = { type, data: {} };
      expect(validateEntity(entity)).toBe(entity);
    }
  });
});
