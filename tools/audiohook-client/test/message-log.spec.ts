import type { ClientMessage, ServerMessage } from '@org/audiohook-protocol';
import { describeMessage } from '../src/lib/message-log';

const id = '30b0e395-84d3-4570-ac13-9a62d8f514c0';
const stereo = { type: 'audio', format: 'PCMU', rate: 8000, channels: ['external', 'internal'] };

describe('describeMessage', () => {
  it('gives a sent message its seq, serverseq, position and key parameters, without the participant', () => {
    const open = {
      version: '2',
      id,
      type: 'open',
      seq: 1,
      serverseq: 0,
      position: 'PT0S',
      parameters: {
        organizationId: 'd7934305-0972-4844-938e-9060eef73d05',
        conversationId: 'e160e428-53e2-487c-977d-96989bf5c99d',
        participant: { id, ani: '+15555551234', aniName: 'John Doe', dnis: '+18005556789' },
        media: [stereo, { ...stereo, channels: ['external'] }],
        language: 'en-US',
        customConfig: { agentassist: true, tenant: 'x' },
      },
    } as ClientMessage;
    expect(describeMessage(open)).toEqual({
      type: 'open',
      seq: 1,
      serverseq: 0,
      position: 'PT0S',
      organizationId: 'd7934305-0972-4844-938e-9060eef73d05',
      conversationId: 'e160e428-53e2-487c-977d-96989bf5c99d',
      media: ['PCMU/8000/external+internal', 'PCMU/8000/external'],
      language: 'en-US',
      customConfig: '{agentassist, tenant}',
    });
  });

  it('gives a received message its seq and clientseq, and no position', () => {
    const opened = {
      version: '2',
      id,
      type: 'opened',
      seq: 1,
      clientseq: 1,
      parameters: { media: [stereo], startPaused: false },
    } as ServerMessage;
    expect(describeMessage(opened)).toEqual({
      type: 'opened',
      seq: 1,
      clientseq: 1,
      media: ['PCMU/8000/external+internal'],
      startPaused: false,
    });
  });

  it('names the entity types of an event instead of their data', () => {
    const event = {
      version: '2',
      id,
      type: 'event',
      seq: 4,
      clientseq: 9,
      parameters: {
        entities: [
          { type: 'transcript', data: { id, channelId: 0, alternatives: [] } },
          { type: 'agentassist', data: { transcripts: [], suggestions: [] } },
        ],
      },
    } as ServerMessage;
    expect(describeMessage(event)).toEqual({
      type: 'event',
      seq: 4,
      clientseq: 9,
      entities: ['transcript', 'agentassist'],
    });
  });

  it('clips long texts to 200 characters and gives long lists as a count', () => {
    const error = {
      version: '2',
      id,
      type: 'error',
      seq: 3,
      serverseq: 2,
      position: 'PT1.2S',
      parameters: { code: 400, message: 'x'.repeat(500) },
    } as ClientMessage;
    const fields = describeMessage(error);
    expect(fields).toMatchObject({ type: 'error', code: 400, position: 'PT1.2S' });
    expect(fields['message']).toBe(`${'x'.repeat(199)}…`);

    const opened = {
      version: '2',
      id,
      type: 'opened',
      seq: 1,
      clientseq: 1,
      parameters: {
        media: [],
        supportedLanguages: Array.from({ length: 40 }, (_, i) => `l${i}-XX`),
      },
    } as ServerMessage;
    expect(describeMessage(opened)).toMatchObject({ media: [], supportedLanguages: '40 item(s)' });
  });
});
