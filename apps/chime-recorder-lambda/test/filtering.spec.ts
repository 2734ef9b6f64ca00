import { RecorderErrorCode } from '../src/lib/errors';
import { fixture, Harness, type RawEvent, sampleCall, type TestApp } from './helpers/harness';

let h: Harness;
let app: TestApp;

beforeAll(async () => {
  h = await Harness.start();
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.fake.reset();
  app = h.app();
});

describe('events the recorder does not act on', () => {
  it('ignores every event of another Voice Connector when VOICECONNECTOR_ID is set', async () => {
    const call = sampleCall();
    for (const e of call.all) {
      e.detail['voiceConnectorId'] = 'anotherconnector000001';
      expect(await app.handler(e)).toEqual({
        outcome: 'ignored',
        reason: 'another Voice Connector',
      });
    }
    expect(h.fake.createRequests).toHaveLength(0);
    expect(await h.items(call.transactionId)).toEqual([]);
  });

  it('accepts a list of Voice Connectors, and every connector when VOICECONNECTOR_ID is unset', async () => {
    const listed = h.app({ VOICECONNECTOR_ID: 'anotherconnector000001, bfggco08s5m5esgxfskzks' });
    const call = sampleCall();
    for (const e of call.all) await listed.handler(e);
    expect(h.fake.createRequests).toHaveLength(1);

    const open = h.app({ VOICECONNECTOR_ID: '' });
    const other = sampleCall();
    for (const e of other.all) {
      e.detail['voiceConnectorId'] = 'anotherconnector000001';
      await open.handler(e);
    }
    expect(h.fake.createRequests).toHaveLength(2);
  });

  it.each(
    fixture<{ name: string; event: unknown }[]>('events/malformed.json').map((m) => [
      m.name,
      m.event,
    ]),
  )('logs and drops a malformed event (%s) without throwing', async (_name, event) => {
    await expect(app.handler(event)).resolves.toEqual({
      outcome: 'dropped-malformed',
      code: RecorderErrorCode.EventMalformed,
    });
    const warning = app.logs.find((l) => l.message === 'dropping a malformed event');
    expect(warning).toMatchObject({
      level: 'warn',
      attributes: { errorCode: RecorderErrorCode.EventMalformed },
    });
    // The log names the bad fields, never their values.
    expect(JSON.stringify(app.logs)).not.toContain('+18155551212');
    expect(h.fake.createRequests).toHaveLength(0);
  });

  it('names the invalid fields in the malformed-event log line', async () => {
    const call = sampleCall();
    call.endedCaller.detail['isCaller'] = 'true';
    delete call.endedCaller.detail['endTime'];
    await app.handler(call.endedCaller);
    const warning = app.logs.find((l) => l.message === 'dropping a malformed event');
    expect(warning?.attributes).toMatchObject({
      eventId: call.endedCaller.id,
      detailType: 'Chime VoiceConnector Streaming Status',
      issues: expect.arrayContaining([
        expect.objectContaining({ path: 'isCaller' }),
        expect.objectContaining({ path: 'endTime' }),
      ]),
    });
    expect(await h.items(call.transactionId)).toEqual([]);
  });

  it('ignores CloudTrail and other detail types at DEBUG', async () => {
    expect(await app.handler(fixture('events/cloudtrail.json'))).toEqual({
      outcome: 'ignored',
      reason: 'detail-type AWS API Call via CloudTrail',
    });
    expect(app.logs.filter((l) => l.level !== 'debug')).toEqual([]);
  });

  it('names the source, not the detail type, when an event comes from another source', async () => {
    const event = fixture<RawEvent>('events/wrong-source.json');
    expect(await app.handler(event)).toEqual({
      outcome: 'ignored',
      reason: 'source com.example.replayer',
    });
    expect(app.logs).toEqual([
      expect.objectContaining({
        level: 'debug',
        attributes: expect.objectContaining({ field: 'source', source: 'com.example.replayer' }),
      }),
    ]);
    expect(await h.items(String(event.detail['transactionId']))).toEqual([]);
  });

  it('names the detail type when a known source sends a detail type the recorder does not handle', async () => {
    const event = fixture<RawEvent>('events/scheduled.json');
    event['detail-type'] = 'Some Other Event';
    expect(await app.handler(event)).toEqual({
      outcome: 'ignored',
      reason: 'detail-type Some Other Event',
    });
    expect(app.logs[0]?.attributes).toMatchObject({ field: 'detail-type' });
  });

  it('bounds the length of the ignored value it reports', async () => {
    const event = fixture<RawEvent>('events/wrong-source.json');
    event.source = `x${'y'.repeat(10_000)}`;
    const result = await app.handler(event);
    expect(result).toMatchObject({ outcome: 'ignored' });
    expect(JSON.stringify(result).length).toBeLessThan(300);
    expect(JSON.stringify(app.logs).length).toBeLessThan(1_000);
  });

  it('keeps phone numbers and SIP headers out of every log line above DEBUG', async () => {
    const call = sampleCall();
    for (const e of call.all) await app.handler(e);
    const text = JSON.stringify(app.logs.filter((l) => l.level !== 'debug'));
    expect(text).not.toContain('+18155551212');
    expect(text).not.toContain('+19285557777');
    expect(text).not.toContain('INVITE');
    // Every line about the call carries its transaction id.
    for (const line of app.logs.filter((l) => l.level !== 'debug')) {
      expect(line.attributes['transactionId']).toBe(call.transactionId);
    }
  });

  it('dumps events at DEBUG with numbers and headers redacted unless LOG_REDACT_PII=false', async () => {
    const debug = h.app({ LOG_LEVEL: 'debug' });
    const call = sampleCall();
    await debug.handler(call.startedCaller);
    const dump = debug.logs.find((l) => l.message === 'event received');
    expect(dump?.attributes['event']).toMatchObject({
      detail: { fromNumber: '[redacted]', toNumber: '[redacted]', inviteHeaders: '[redacted]' },
    });

    const raw = h.app({ LOG_LEVEL: 'DEBUG', LOG_REDACT_PII: 'false' });
    await raw.handler(call.startedCallee);
    const rawDump = raw.logs.find((l) => l.message === 'event received');
    expect(rawDump?.attributes['event']).toMatchObject({ detail: { fromNumber: '+18155551212' } });
  });
});
