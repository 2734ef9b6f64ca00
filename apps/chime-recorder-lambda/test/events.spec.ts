import { classifyEvent } from '../src/lib/events';
import { fixture, type RawEvent } from './helpers/harness';

describe('classifyEvent', () => {
  it('turns STARTED and ENDED into leg events with explicit roles and UTC milliseconds', () => {
    const [startedCallee, , , endedCaller] = fixture<RawEvent[]>('events/normal-call.json');
    expect(classifyEvent(startedCallee)).toEqual({
      kind: 'streaming',
      event: {
        status: 'STARTED',
        eventId: 'ac48f3fe-0b49-7b20-56af-bcefec745020',
        transactionId: 'ec97a8ff-3f83-4de2-8d73-d988070f6af4',
        callId: '089b1d79-d4ca-4f74-b36b-681f606937f6',
        voiceConnectorId: 'bfggco08s5m5esgxfskzks',
        direction: 'Inbound',
        role: 'callee',
        streamArn:
          'arn:aws:kinesisvideo:us-east-1:112233445566:stream/ChimeVoiceConnector-bfggco08s5m5esgxfskzks-94709a8e-c2cc-4f92-9ab1-af74c54c041a/1680731924044',
        startTimeMs: 1680732842238,
        fromNumber: '+18155551212',
        toNumber: '+19285557777',
        mediaType: 'audio/L16',
      },
    });
    expect(classifyEvent(endedCaller)).toMatchObject({
      kind: 'streaming',
      event: {
        status: 'ENDED',
        role: 'caller',
        startTimeMs: 1680732843993,
        endTimeMs: 1680732857788,
      },
    });
  });

  it('reads UPDATED and FAILED, which carry no leg', () => {
    expect(classifyEvent(fixture('events/updated.json'))).toMatchObject({
      kind: 'streaming',
      event: { status: 'UPDATED' },
    });
    const failed = classifyEvent(fixture('events/failed.json'));
    expect(failed).toMatchObject({
      kind: 'streaming',
      event: {
        status: 'FAILED',
        failTimeMs: Date.parse('2023-04-05T22:14:12.400Z'),
        failureReason: 'Internal failure',
      },
    });
    expect(failed.kind === 'streaming' && 'role' in failed.event).toBe(false);
  });

  it('reads Media Insights State Change with the echoed runtime metadata', () => {
    expect(classifyEvent(fixture('events/media-insights-stopped.json'))).toMatchObject({
      kind: 'pipeline-state',
      event: {
        eventType: 'chime:MediaInsightsStopped',
        transactionId: 'ec97a8ff-3f83-4de2-8d73-d988070f6af4',
      },
    });
  });

  it('recognises the scheduled sweep and ignores other detail types', () => {
    expect(classifyEvent(fixture('events/scheduled.json'))).toEqual({
      kind: 'sweep',
      eventId: '0a1b2c3d-1111-2222-3333-444455556666',
    });
    expect(classifyEvent(fixture('events/cloudtrail.json'))).toMatchObject({
      kind: 'ignored',
      detailType: 'AWS API Call via CloudTrail',
    });
    // A streaming-status detail type from another source is not trusted.
    const spoofed = fixture<RawEvent>('events/failed.json');
    spoofed.source = 'my.app';
    expect(classifyEvent(spoofed)).toMatchObject({ kind: 'ignored' });
  });

  it.each(
    fixture<{ name: string; event: unknown }[]>('events/malformed.json').map((m) => [
      m.name,
      m.event,
    ]),
  )('reports %s as malformed', (_name, event) => {
    expect(classifyEvent(event)).toMatchObject({
      kind: 'malformed',
      error: { code: 'CHIME_REC_ERR_EVENT_MALFORMED' },
    });
  });
});
