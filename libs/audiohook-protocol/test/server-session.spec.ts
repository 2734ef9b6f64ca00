import {
  AudioHookError,
  ServerSession,
  NIL_UUID,
  type AudioFrame,
  type MediaParameter,
} from '../src';
import { createTransportPair } from '../src/testing';
import {
  CONVERSATION_ID,
  MONO,
  ORG_ID,
  RawClient,
  SESSION_ID,
  STEREO,
  openParameters,
  settle,
} from './helpers';
import { disconnectInfo, opened, setup } from './server-setup';

describe('ServerSession', () => {
  describe('open', () => {
    it('answers open with opened echoing the first offered media', async () => {
      const { session, client } = await opened();
      expect(client.last()).toEqual({
        version: '2',
        id: SESSION_ID,
        type: 'opened',
        seq: 1,
        clientseq: 1,
        parameters: { media: [STEREO], startPaused: false },
      });
      expect(session.state).toBe('ACTIVE');
      expect(session.selectedMedia).toEqual(STEREO);
      expect(session.openMessage?.parameters.conversationId).toBe(CONVERSATION_ID);
    });

    it('ignores a second open but still counts its seq', async () => {
      const { session, client } = await opened();
      client.send('open', openParameters());
      client.send('ping');
      await settle();
      expect(client.types()).toEqual(['opened', 'pong']);
      expect(session.clientSeq).toBe(3);
    });

    it('adopts the id of the first message when none was given', async () => {
      const [serverSide, clientSide] = createTransportPair();
      const session = new ServerSession({ transport: serverSide });
      const client = new RawClient(clientSide);
      expect(session.id).toBeUndefined();
      client.send('open', openParameters());
      await settle();
      expect(session.id).toBe(SESSION_ID);
      expect(client.last()?.['id']).toBe(SESSION_ID);
    });

    it('lets media selectors filter the offer and picks the first survivor', async () => {
      const { client } = await opened({}, openParameters({ media: [MONO, STEREO] }));
      expect(client.last()?.['parameters']).toMatchObject({ media: [MONO] });
      const second = setup();
      second.session.addMediaSelector((offered) => offered.filter((m) => m.channels.length === 2));
      second.client.send('open', openParameters({ media: [MONO, STEREO] }));
      await settle();
      expect(second.client.last()?.['parameters']).toMatchObject({ media: [STEREO] });
    });

    it('answers media [] when no offer survives or none was offered', async () => {
      const { session, client } = setup();
      session.addMediaSelector(() => []);
      client.send('open', openParameters());
      await settle();
      expect(client.last()?.['parameters']).toMatchObject({ media: [] });
      const none = await opened({}, openParameters({ media: [] }));
      expect(none.client.last()?.['parameters']).toMatchObject({ media: [] });
    });

    it('disconnects with a server error when a selector returns media that was not offered', async () => {
      const { session, client } = setup();
      const other: MediaParameter = {
        type: 'audio',
        format: 'L16',
        rate: 8000,
        channels: ['internal'],
      };
      session.addMediaSelector(() => [other]);
      client.send('open', openParameters());
      await settle();
      expect(disconnectInfo(client.last())).toMatch(/^Server error: a media selector returned/);
      expect(session.state).toBe('SIGNALED-ERROR');
    });

    it('recognises probes by the nil conversation id and can answer them with media []', async () => {
      const probe = openParameters({ conversationId: NIL_UUID });
      const normal = await opened({}, probe);
      expect(normal.session.isProbe).toBe(true);
      expect(normal.client.last()?.['parameters']).toMatchObject({ media: [STEREO] });
      const none = await opened({ probe: { media: 'none' } }, probe);
      expect(none.client.last()?.['parameters']).toMatchObject({ media: [] });
      const strict = await opened({ probe: { requireNilParticipant: true } }, probe);
      expect(strict.session.isProbe).toBe(false);
      const both = await opened(
        { probe: { requireNilParticipant: true } },
        openParameters({
          conversationId: NIL_UUID,
          participant: { id: NIL_UUID, ani: '', aniName: '', dnis: '' },
        }),
      );
      expect(both.session.isProbe).toBe(true);
    });

    it('reports supportedLanguages when asked (and [] when none are configured)', async () => {
      const asked = openParameters({ supportedLanguages: true });
      const withList = await opened({ supportedLanguages: ['en-US', 'fr-FR'] }, asked);
      expect(withList.client.last()?.['parameters']).toMatchObject({
        supportedLanguages: ['en-US', 'fr-FR'],
      });
      const empty = await opened({}, asked);
      expect(empty.client.last()?.['parameters']).toMatchObject({ supportedLanguages: [] });
      const notAsked = await opened({ supportedLanguages: ['en-US'] });
      expect(notAsked.client.last()?.['parameters']).not.toHaveProperty('supportedLanguages');
    });

    it('lets open handlers set startPaused and discardTo (the lowest wins) and register close handlers', async () => {
      const { session, client } = setup();
      const closed: unknown[] = [];
      session.addOpenHandler(({ setStartPaused, setDiscardTo }) => {
        setStartPaused(true);
        setDiscardTo(5_000_000_000);
        return ({ parameters }) => void closed.push(parameters);
      });
      session.addOpenHandler(async ({ setDiscardTo }) => {
        await Promise.resolve();
        setDiscardTo(2_500_000_000);
        expect(() => setDiscardTo(-1)).toThrow(AudioHookError);
      });
      client.send('open', openParameters());
      await settle();
      expect(client.last()?.['parameters']).toEqual({
        media: [STEREO],
        startPaused: true,
        discardTo: 'PT2.5S',
      });
      client.send('close', { reason: 'end' });
      await settle();
      expect(closed).toEqual([{ reason: 'end' }]);
    });

    it('turns pause() and resume() before opened into startPaused', async () => {
      const { session, client } = setup();
      expect(session.pause()).toBe(true);
      client.send('open', openParameters());
      await settle();
      expect(client.last()?.['parameters']).toMatchObject({ startPaused: true });
      const other = setup();
      other.session.pause();
      other.session.resume();
      other.client.send('open', openParameters());
      await settle();
      expect(other.client.last()?.['parameters']).toMatchObject({ startPaused: false });
    });

    it('sends opened at the deadline when an open handler is slow, and only once', async () => {
      const { session, client, clock } = setup({ openDeadlineMs: 1000 });
      let finish!: () => void;
      session.addOpenHandler(() => new Promise<void>((resolve) => (finish = resolve)));
      client.send('open', openParameters());
      await settle();
      expect(client.received).toEqual([]);
      await clock.advance(999);
      expect(client.received).toEqual([]);
      await clock.advance(1);
      expect(client.types()).toEqual(['opened']);
      finish();
      await settle();
      expect(client.types()).toEqual(['opened']);
    });

    it('disconnects with a server error when an open handler throws', async () => {
      const { session, client } = setup();
      session.addOpenHandler(() => {
        throw new Error('ASR unavailable');
      });
      client.send('open', openParameters());
      await settle();
      expect(disconnectInfo(client.last())).toBe('Server error: ASR unavailable');
    });

    it('only allows registering open-time hooks in PREPARING', async () => {
      const { session } = await opened();
      expect(() => session.addAuthenticator(() => true)).toThrow(/only allowed in PREPARING/);
      expect(() => session.addMediaSelector((m) => m)).toThrow(AudioHookError);
      expect(() => session.addOpenHandler(() => undefined)).toThrow(AudioHookError);
    });
  });

  describe('authentication', () => {
    it('disconnects unauthorized when the organization id differs from the header', async () => {
      const { session, client } = await opened({
        organizationId: '11111111-1111-4111-8111-111111111111',
      });
      expect(client.last()?.['parameters']).toEqual({
        reason: 'unauthorized',
        info: 'Mismatch between "organizationId" open parameter and "audiohook-organization-id" header field',
      });
      expect(session.state).toBe('UNAUTHORIZED');
      client.send('open', openParameters());
      await settle();
      expect(client.types()).toEqual(['disconnect']);
    });

    it('accepts a matching organization id in any letter case', async () => {
      const { client } = await opened({ organizationId: ORG_ID.toUpperCase() });
      expect(client.types()).toEqual(['opened']);
    });

    it('waits at least unauthorizedDelayMs before an unauthorized disconnect', async () => {
      const { session, client, clock } = setup({ unauthorizedDelayMs: 500 });
      session.addAuthenticator(async () => false);
      client.send('open', openParameters());
      await settle();
      expect(client.received).toEqual([]);
      await clock.advance(500);
      expect(client.last()?.['parameters']).toEqual({
        reason: 'unauthorized',
        info: 'Unauthorized',
      });
    });

    it('uses a string returned by an authenticator as the disconnect info and runs them in order', async () => {
      const { session, client } = setup();
      const order: string[] = [];
      session.addAuthenticator(() => {
        order.push('first');
        return true;
      });
      session.addAuthenticator(async () => {
        order.push('second');
        return 'FAILED: Signatures do not match';
      });
      session.addAuthenticator(() => {
        order.push('third');
      });
      client.send('open', openParameters());
      await settle();
      expect(order).toEqual(['first', 'second']);
      expect(client.last()?.['parameters']).toEqual({
        reason: 'unauthorized',
        info: 'FAILED: Signatures do not match',
      });
    });

    it('proceeds when authenticators accept (undefined, true or empty string)', async () => {
      const { session, client } = setup();
      session
        .addAuthenticator(() => undefined)
        .addAuthenticator(() => '')
        .addAuthenticator(() => true);
      client.send('open', openParameters());
      await settle();
      expect(client.types()).toEqual(['opened']);
    });
  });

  describe('client errors', () => {
    const cases: [string, (c: ReturnType<typeof setup>['client']) => void, string][] = [
      [
        'text that is not JSON',
        (c) => c.sendRaw('{nope'),
        'Client Error: Text message not valid JSON',
      ],
      [
        'a malformed envelope',
        (c) => c.sendRaw('{"version":"2"}'),
        'Client Error: Message not a well-formed client message',
      ],
      [
        'a seq that skips',
        (c) => c.send('ping', {}, { seq: 5 }),
        'Client Error: Invalid seq value (not monotonically increasing)',
      ],
      [
        'a serverseq ahead of the server',
        (c) => c.send('ping', {}, { serverseq: 9 }),
        'Client Error: Invalid serverseq value',
      ],
      [
        'another session id',
        (c) => c.send('ping', {}, { id: '11111111-1111-4111-8111-111111111111' }),
        'Client Error: Session identifier mismatch',
      ],
      [
        'an unknown message type',
        (c) => c.send('shout', {}),
        "Client Error: Invalid Message: 'shout' is not a supported client message",
      ],
      [
        'bad parameters',
        (c) => c.send('close', { reason: 7 }),
        'Client Error: Invalid Message: Invalid/missing parameters',
      ],
      [
        'a text message over 64K',
        (c) => c.sendRaw(' '.repeat(65_536)),
        'Client Error: Text message too large (>64K). Length: 65536',
      ],
      [
        'audio before open',
        (c) => c.sendAudio(160),
        'Client Error: Received audio in state PREPARING',
      ],
    ];

    it.each(cases)('disconnects with reason error for %s', async (_name, act, info) => {
      const { session, client } = setup();
      const errors: AudioHookError[] = [];
      session.on('protocolError', (e) => errors.push(e));
      act(client);
      await settle();
      expect(client.last()?.['parameters']).toEqual({ reason: 'error', info });
      expect(session.state).toBe('SIGNALED-ERROR');
      expect(errors).toHaveLength(1);
      // No further error messages after the first.
      client.sendRaw('{nope');
      await settle();
      expect(client.types()).toEqual(['disconnect']);
    });

    it('truncates a hostile message type in the disconnect info', async () => {
      const { client } = setup();
      client.send('x'.repeat(60_000), {});
      await settle();
      const info = disconnectInfo(client.last()) as string;
      expect(info).toBe(
        `Client Error: Invalid Message: '${'x'.repeat(64)}' is not a supported client message`,
      );
    });

    it('ignores unknown message types when configured to', async () => {
      const { client } = await opened({ unknownMessageTypes: 'ignore' });
      client.send('shout', {});
      client.send('ping', {});
      await settle();
      expect(client.types()).toEqual(['opened', 'pong']);
    });

    it('tolerates the older draft reconnecting/reconnected messages', async () => {
      const { client, session } = await opened();
      client.send('reconnecting', {});
      client.send('reconnected', {});
      await settle();
      expect(session.state).toBe('ACTIVE');
      expect(client.types()).toEqual(['opened']);
    });
  });

  describe('audio', () => {
    it('emits whole-sample frames in ACTIVE and keeps the timeline', async () => {
      const { session, client } = await opened();
      const frames: AudioFrame[] = [];
      session.on('audio', (frame) => frames.push(frame));
      client.sendAudio(3200);
      client.send('discarded', { start: 'PT0.2S', discarded: 'PT1S' });
      client.sendAudio(1600);
      await settle();
      expect(frames.map((f) => f.samples)).toEqual([1600, 800]);
      expect(session.position).toBe(1_300_000_000);
      expect(session.stats).toMatchObject({ binaryReceived: 2, audioBytes: 4800 });
    });

    it('rejects a frame that is not whole samples', async () => {
      const { client } = await opened();
      client.sendAudio(3201);
      await settle();
      expect(disconnectInfo(client.last())).toMatch(
        /^Client Error: Binary data not a valid audio frame\. Error: frame of 3201 bytes/,
      );
    });

    it('rejects audio when no media was selected', async () => {
      const { client } = await opened({}, openParameters({ media: [] }));
      client.sendAudio(160);
      await settle();
      expect(disconnectInfo(client.last())).toBe(
        'Client Error: Received audio but no media was selected',
      );
    });

    it('rejects audio in PAUSED, or ignores it when configured to', async () => {
      const { client } = await opened();
      client.send('paused');
      client.sendAudio(160);
      await settle();
      expect(disconnectInfo(client.last())).toBe('Client Error: Received audio in state PAUSED');
      const lenient = await opened({ audioOutsideActive: 'ignore' });
      lenient.client.send('paused');
      lenient.client.sendAudio(160);
      await settle();
      expect(lenient.client.types()).toEqual(['opened']);
    });

    it('ignores audio after close', async () => {
      const { client, session } = await opened({ closeDeadlineMs: 0 });
      let release!: () => void;
      session.addCloseHandler(() => new Promise<void>((r) => (release = r)));
      client.send('close', { reason: 'end' });
      client.sendAudio(160);
      await settle();
      release();
      await settle();
      expect(client.types()).toEqual(['opened', 'closed']);
    });

    it('counts samples only in samples position mode', async () => {
      const { session, client } = await opened({ positionMode: 'samples' });
      client.sendAudio(1600);
      client.send('discarded', { start: 'PT0S', discarded: 'PT1S' });
      await settle();
      expect(session.position).toBe(100_000_000);
    });

    it('reads L16 in the configured byte order', async () => {
      const l16 = { ...MONO, format: 'L16' };
      const { session, client } = await opened(
        { l16ByteOrder: 'be' },
        openParameters({ media: [l16] }),
      );
      const samples: number[] = [];
      session.on('audio', (frame) => samples.push(...frame.toLinear()));
      client.transport.sendBinary(new Uint8Array([0x01, 0x00]));
      await settle();
      expect(samples).toEqual([256]);
    });
  });
});
