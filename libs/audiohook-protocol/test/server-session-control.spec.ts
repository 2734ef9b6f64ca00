// The server session after open: pause/resume, update, ping, client errors, events, close and
// disconnect, server audio, robustness.

import { MONO, SESSION_ID, openParameters, settle } from './helpers';
import { disconnectInfo, opened, setup } from './server-setup';

describe('ServerSession', () => {
  describe('pause, resume, update, ping, error, dtmf', () => {
    it('moves ACTIVE ⇄ PAUSED on paused/resumed, tolerating repeats', async () => {
      const { session, client } = await opened();
      const events: string[] = [];
      session.on('paused', () => events.push('paused'));
      session.on('resumed', (p) => events.push(`resumed ${p.discarded}`));
      client.send('paused');
      client.send('paused');
      await settle();
      expect(session.state).toBe('PAUSED');
      client.send('resumed', { start: 'PT0S', discarded: 'PT2S' });
      client.send('resumed', { start: 'PT2S', discarded: 'PT0S' });
      await settle();
      expect(session.state).toBe('ACTIVE');
      expect(events).toEqual(['paused', 'resumed PT2S']);
      expect(session.position).toBe(2_000_000_000);
    });

    it('ignores paused, resumed and update before open', async () => {
      const { session, client } = setup();
      const updates: unknown[] = [];
      session.on('update', (p) => updates.push(p));
      client.send('paused');
      client.send('update', { language: 'fr-FR' });
      await settle();
      expect(session.state).toBe('PREPARING');
      expect(updates).toEqual([]);
    });

    it('sends pause and resume on request in ACTIVE or PAUSED only', async () => {
      const { session, client } = await opened();
      expect(session.pause()).toBe(true);
      expect(session.resume()).toBe(true);
      await settle();
      expect(client.types()).toEqual(['opened', 'pause', 'resume']);
      client.send('close', { reason: 'end' });
      await settle();
      expect(session.pause()).toBe(false);
      expect(session.resume()).toBe(false);
    });

    it('runs update handlers, emits update and optionally sends updated', async () => {
      const { session, client } = await opened({ sendUpdated: true });
      const seen: string[] = [];
      session.addUpdateHandler(async (p) => void seen.push(`handler ${p.language}`));
      session.on('update', (p) => seen.push(`event ${p.language}`));
      client.send('update', { language: 'fr-FR' });
      await settle();
      expect(seen).toEqual(['handler fr-FR', 'event fr-FR']);
      expect(client.types()).toEqual(['opened', 'updated']);
      const quiet = await opened();
      quiet.client.send('update', { language: 'fr-FR' });
      await settle();
      expect(quiet.client.types()).toEqual(['opened']);
    });

    it('runs updates one at a time in order, so a slow handler cannot apply an older language last', async () => {
      const { session, client, clock } = await opened({ sendUpdated: true });
      const seen: string[] = [];
      let running = 0;
      let most = 0;
      session.addUpdateHandler(async ({ language }) => {
        most = Math.max(most, ++running);
        seen.push(`start ${language}`);
        await new Promise<void>((resolve) =>
          clock.setTimeout(resolve, language === 'fr-FR' ? 300 : 100),
        );
        running--;
      });
      session.on('update', (p) => seen.push(`event ${p.language}`));
      client.send('update', { language: 'fr-FR' });
      client.send('update', { language: 'de-DE' });
      await settle();
      await clock.advance(1000);
      expect(seen).toEqual(['start fr-FR', 'event fr-FR', 'start de-DE', 'event de-DE']);
      expect(most).toBe(1);
      expect(client.types()).toEqual(['opened', 'updated', 'updated']);
    });

    it('runs only the latest of the updates that arrive while one runs (a flood starts no more handlers)', async () => {
      const { session, client, clock } = await opened();
      const started: string[] = [];
      session.addUpdateHandler(async ({ language }) => {
        started.push(String(language));
        await new Promise<void>((resolve) => clock.setTimeout(resolve, 1000));
      });
      for (let i = 0; i < 999; i++) client.send('update', { language: i % 2 ? 'fr-FR' : 'en-US' });
      client.send('update', { language: 'de-DE' });
      await settle();
      expect(started).toEqual(['en-US']);
      await clock.advance(2000);
      expect(started).toEqual(['en-US', 'de-DE']);
      expect(session.state).toBe('ACTIVE');
    });

    it('disconnects with a server error when an update handler throws', async () => {
      const { session, client } = await opened();
      session.addUpdateHandler(() => {
        throw new Error('bad language');
      });
      client.send('update', { language: 'xx-XX' });
      await settle();
      expect(disconnectInfo(client.last())).toBe('Server error: bad language');
    });

    it('answers ping with pong in any state and reports the rtt', async () => {
      const { session, client } = setup();
      const rtts: (number | undefined)[] = [];
      session.on('ping', (rtt) => rtts.push(rtt));
      client.send('ping', {});
      client.send('ping', { rtt: 'PT0.012S' });
      await settle();
      expect(client.received.map((m) => [m['type'], m['clientseq']])).toEqual([
        ['pong', 1],
        ['pong', 2],
      ]);
      expect(rtts).toEqual([undefined, 12_000_000]);
      expect(session.stats.rtt).toBe(12_000_000);
    });

    it('emits client errors, dtmf and playback notifications', async () => {
      const { session, client } = await opened();
      const seen: unknown[] = [];
      session.on('clientError', (p) => seen.push(p.code));
      session.on('dtmf', (p) => seen.push(p.digit));
      session.on('playbackStarted', () => seen.push('started'));
      session.on('playbackCompleted', () => seen.push('completed'));
      client.send('error', { code: 503, message: 'unavailable' });
      client.send('dtmf', { digit: '7' });
      client.send('playback_started');
      client.send('playback_completed');
      await settle();
      expect(seen).toEqual([503, '7', 'started', 'completed']);
      expect(session.state).toBe('ACTIVE');
    });
  });

  describe('events', () => {
    const entity = { type: 'transcript', data: { text: 'hi' } };

    it('sends events in ACTIVE, PAUSED and CLOSING, and refuses them elsewhere', async () => {
      const { session, client } = setup();
      const dropped: string[] = [];
      session.on('eventDropped', (_e, reason) => dropped.push(reason));
      expect(session.sendEvent([entity])).toBe(false);
      client.send('open', openParameters());
      await settle();
      expect(session.sendEvent([entity])).toBe(true);
      client.send('paused');
      await settle();
      expect(session.sendEvent([entity])).toBe(true);
      await settle();
      expect(client.types()).toEqual(['opened', 'event', 'event']);
      expect(dropped).toEqual(['events are not allowed in state PREPARING']);
      expect(() => session.sendEvent([])).toThrow(/at least one entity/);
    });

    it('keeps sending events after disconnect(completed) until closed (spec §7.2: disconnect does not end ACTIVE)', async () => {
      const { session, client, clock } = await opened({ events: { burst: 1, ratePerSecond: 5 } });
      const dropped: string[] = [];
      session.on('eventDropped', (_e, reason) => dropped.push(reason));
      // The bot's last turn, then the end of the session: the second event waits for a token.
      expect(session.sendEvent([entity])).toBe(true);
      expect(session.sendEvent([entity])).toBe(true);
      expect(session.disconnect('completed', 'bot finished')).toBe(true);
      // Still allowed while the client has not closed yet.
      expect(session.sendEvent([entity])).toBe(true);
      await clock.advance(400);
      client.send('close', { reason: 'disconnect' });
      await settle();
      expect(dropped).toEqual([]);
      expect(client.types()).toEqual(['opened', 'event', 'disconnect', 'event', 'event', 'closed']);
    });

    it('sends no event after a disconnect(completed) that came before opened', async () => {
      const { session, client } = setup();
      const dropped: string[] = [];
      session.on('eventDropped', (_e, reason) => dropped.push(reason));
      expect(session.disconnect('completed', 'shutting down')).toBe(true);
      expect(session.sendEvent([entity])).toBe(false);
      await settle();
      expect(client.types()).toEqual(['disconnect']);
      expect(dropped).toHaveLength(1);
    });

    it('paces events at 5/s with a burst of 25', async () => {
      const { session, client, clock } = await opened();
      for (let i = 0; i < 30; i++) session.sendEvent([entity]);
      await settle();
      expect(client.types().filter((t) => t === 'event')).toHaveLength(25);
      expect(session.queuedEvents).toBe(5);
      await clock.advance(200);
      expect(client.types().filter((t) => t === 'event')).toHaveLength(26);
      await clock.advance(800);
      expect(client.types().filter((t) => t === 'event')).toHaveLength(30);
    });

    it('backs off for retryAfter on error 429 and disconnects after 3 in a row', async () => {
      const { session, client, clock } = await opened({ events: { burst: 1, ratePerSecond: 100 } });
      client.send('error', { code: 429, message: 'slow down', retryAfter: 'PT2S' });
      await settle();
      session.sendEvent([entity]);
      await clock.advance(1999);
      expect(client.types()).toEqual(['opened']);
      await clock.advance(1);
      expect(client.types()).toEqual(['opened', 'event']);
      client.send('error', { code: 429, message: 'slow down' });
      client.send('error', { code: 429, message: 'slow down' });
      await settle();
      expect(client.last()?.['parameters']).toEqual({
        reason: 'error',
        info: 'Rate limited 3 times',
      });
      await clock.advance(60_000);
    });

    it('cuts a 429 retryAfter to maxRetryAfterMs (60 s by default)', async () => {
      for (const [options, waitMs] of [
        [{}, 60_000],
        [{ maxRetryAfterMs: 5000 }, 5000],
      ] as const) {
        const { session, client, clock } = await opened({ events: { burst: 1, ...options } });
        client.send('error', { code: 429, message: 'slow down', retryAfter: 'PT3000000S' });
        await settle();
        session.sendEvent([entity]);
        await clock.advance(waitMs - 1);
        expect(client.types()).toEqual(['opened']);
        await clock.advance(1);
        expect(client.types()).toEqual(['opened', 'event']);
      }
    });

    it('stops sending events after an error 400 that rejects them', async () => {
      const { session, client, clock } = await opened({ events: { burst: 1 } });
      session.sendEvent([entity]);
      session.sendEvent([entity]);
      client.send('error', { code: 400, message: 'event messages are not allowed' });
      await settle();
      await clock.advance(1000);
      expect(session.eventsEnabled).toBe(false);
      expect(session.sendEvent([entity])).toBe(false);
      expect(client.types()).toEqual(['opened', 'event']);
      expect(session.stats.eventsDropped).toBe(2);
    });

    it('never sends events on a Monitor endpoint', async () => {
      const { session } = await opened({ events: { enabled: false } });
      expect(session.sendEvent([entity])).toBe(false);
    });

    it('drops events beyond the queue bound', async () => {
      const { session } = await opened({ events: { burst: 1, maxQueued: 1 } });
      expect(session.sendEvent([entity])).toBe(true);
      expect(session.sendEvent([entity])).toBe(true);
      expect(session.sendEvent([entity])).toBe(false);
    });

    it('flushes queued events before closed', async () => {
      const { session, client, clock } = await opened({ events: { burst: 1 } });
      session.sendEvent([entity]);
      session.sendEvent([entity]);
      session.sendEvent([entity]);
      client.send('close', { reason: 'end' });
      await settle();
      expect(client.types()).toEqual(['opened', 'event']);
      await clock.advance(400);
      expect(client.types()).toEqual(['opened', 'event', 'event', 'event', 'closed']);
    });
  });

  describe('close and disconnect', () => {
    it('answers a close before open with closed at once', async () => {
      const { client, session } = setup();
      client.send('close', { reason: 'end' });
      await settle();
      expect(client.last()).toMatchObject({ type: 'closed', clientseq: 1 });
      expect(session.state).toBe('CLOSED');
    });

    it('answers close with closed after a client error and after an unauthorized disconnect', async () => {
      const errored = await opened();
      errored.client.sendRaw('{nope');
      errored.client.send('close', { reason: 'disconnect' }, { seq: 2 });
      await settle();
      expect(errored.client.types()).toEqual(['opened', 'disconnect', 'closed']);
      const denied = await opened({ organizationId: '11111111-1111-4111-8111-111111111111' });
      denied.client.send('discarded', { start: 'PT0S', discarded: 'PT1S' });
      denied.client.send('close', { reason: 'disconnect' });
      await settle();
      expect(denied.client.types()).toEqual(['disconnect', 'closed']);
      expect(denied.session.timeline.discarded).toBe(1_000_000_000);
    });

    it('ignores a second close', async () => {
      const { client } = await opened();
      client.send('close', { reason: 'end' });
      client.send('close', { reason: 'end' });
      await settle();
      expect(client.types()).toEqual(['opened', 'closed']);
    });

    it('runs close handlers (which may return fini handlers) before closed, fini after the socket closes', async () => {
      const { session, client, serverSide } = await opened();
      const order: string[] = [];
      session.addCloseHandler(async ({ parameters }) => {
        order.push(`close ${parameters?.reason}`);
        return () => void order.push('fini from close');
      });
      session.addFiniHandler(() => void order.push('fini'));
      session.on('end', () => order.push('end'));
      client.send('close', { reason: 'end' });
      await settle();
      expect(order).toEqual(['close end']);
      serverSide.close();
      await session.finished;
      expect(order).toEqual(['close end', 'fini', 'fini from close', 'end']);
      expect(session.state).toBe('DISCONNECTED');
    });

    it('sends closed at the close deadline when a close handler is slow', async () => {
      const { session, client, clock } = await opened({ closeDeadlineMs: 2000 });
      session.addCloseHandler(() => new Promise(() => undefined));
      client.send('close', { reason: 'end' });
      await clock.advance(1999);
      expect(client.types()).toEqual(['opened']);
      await clock.advance(1);
      expect(client.types()).toEqual(['opened', 'closed']);
    });

    it('still sends closed when a close handler throws', async () => {
      const { session, client } = await opened();
      session.addCloseHandler(() => {
        throw new Error('flush failed');
      });
      client.send('close', { reason: 'end' });
      await settle();
      expect(client.types()).toEqual(['opened', 'closed']);
    });

    it('closes the transport when the client lingers after closed', async () => {
      const { client, clock } = await opened({ closedLingerMs: 1000 });
      client.send('close', { reason: 'end' });
      await settle();
      await clock.advance(1000);
      expect(client.transport.closeInfo).toEqual({ code: 1000, reason: 'session closed' });
    });

    it('sends disconnect, answers the client close with closed, and refuses a second disconnect', async () => {
      const { session, client } = await opened();
      expect(session.disconnect('completed', 'done', { action: 'finished' })).toBe(true);
      expect(session.state).toBe('DISCONNECTING');
      expect(session.disconnect('error')).toBe(false);
      client.send('close', { reason: 'disconnect' });
      await settle();
      expect(client.received.slice(1).map((m) => [m['type'], m['parameters']])).toEqual([
        [
          'disconnect',
          { reason: 'completed', info: 'done', outputVariables: { action: 'finished' } },
        ],
        ['closed', {}],
      ]);
    });

    it('still delivers audio the client sent before it read the disconnect, until its close', async () => {
      const { session, client } = await opened();
      const received: number[] = [];
      session.on('audio', (frame) => received.push(frame.data.length));
      client.sendAudio(160);
      await settle();
      expect(session.disconnect('completed', 'Server shutting down')).toBe(true);
      // In flight when the disconnect went out: still audio, on the timeline.
      client.sendAudio(320);
      // A broken frame now is ignored: the disconnect is already out.
      client.sendAudio(3);
      await settle();
      client.send('close', { reason: 'disconnect' });
      client.sendAudio(160);
      await settle();
      expect(received).toEqual([160, 320]);
      expect(session.stats.audioBytes).toBe(480);
      expect(client.types()).toEqual(['opened', 'disconnect', 'closed']);
    });

    it('does not take audio after a disconnect sent while paused', async () => {
      const { session, client } = await opened();
      const received: number[] = [];
      session.on('audio', (frame) => received.push(frame.data.length));
      client.send('paused');
      await settle();
      session.disconnect('completed');
      client.sendAudio(160);
      await settle();
      expect(received).toEqual([]);
    });

    it('closes the transport when the client ignores a disconnect', async () => {
      const { session, client, clock } = await opened({ disconnectTimeoutMs: 3000 });
      session.disconnect();
      await clock.advance(3000);
      expect(client.transport.closeInfo).toEqual({ code: 1000, reason: 'disconnect timeout' });
    });

    it('sends reconnect while the session is alive', async () => {
      const { session, client, serverSide } = await opened();
      expect(session.reconnect('draining')).toBe(true);
      expect(session.reconnect()).toBe(true);
      await settle();
      expect(client.received.slice(1).map((m) => m['parameters'])).toEqual([
        { info: 'draining' },
        {},
      ]);
      serverSide.close();
      await session.finished;
      expect(session.reconnect()).toBe(false);
    });

    it('runs close handlers with null and fini handlers when the connection drops', async () => {
      const { session, serverSide } = await opened();
      const seen: unknown[] = [];
      session.addCloseHandler(({ parameters }) => void seen.push(parameters));
      session.addFiniHandler(() => {
        throw new Error('fini bug');
      });
      serverSide.drop();
      await session.finished;
      expect(seen).toEqual([null]);
      expect(session.state).toBe('DISCONNECTED');
    });

    it('waits for running close handlers (and their fini handlers) when the socket closes mid-close', async () => {
      const { session, client, serverSide } = await opened({ closeDeadlineMs: 0 });
      const order: string[] = [];
      let release!: () => void;
      session.addCloseHandler(async () => {
        await new Promise<void>((r) => (release = r));
        order.push('close handler done');
        return () => void order.push('fini');
      });
      client.send('close', { reason: 'end' });
      await settle();
      serverSide.close();
      await settle();
      expect(session.state).toBe('FINALIZING');
      release();
      await session.finished;
      expect(order).toEqual(['close handler done', 'fini']);
    });

    it('finalizes a dropped session after the close deadline even if an open handler hangs', async () => {
      const { session, client, serverSide, clock } = setup({
        closeDeadlineMs: 1000,
        openDeadlineMs: 0,
      });
      session.addOpenHandler(() => new Promise(() => undefined));
      const finis: string[] = [];
      session.addFiniHandler(() => void finis.push('fini'));
      client.send('open', openParameters());
      await settle();
      serverSide.drop();
      await settle();
      expect(session.state).toBe('FINALIZING');
      await clock.advance(1000);
      await session.finished;
      expect(finis).toEqual(['fini']);
    });

    it('abort() closes the transport and finalizes', async () => {
      const { session, client } = await opened();
      session.abort();
      await session.finished;
      expect(client.transport.closeInfo).toEqual({ code: 1001, reason: 'server going away' });
    });

    it('disconnects an idle client', async () => {
      const { client, clock } = await opened({ idleTimeoutMs: 10_000 });
      await clock.advance(9_999);
      client.send('ping');
      await settle();
      await clock.advance(9_999);
      expect(client.types()).toEqual(['opened', 'pong']);
      await clock.advance(1);
      expect(disconnectInfo(client.last())).toBe(
        'Server error: no message from the client for 10000 ms',
      );
    });

    it('keeps one idle timer however many frames arrive, and times out a period after the last', async () => {
      const { client, clock } = await opened({ idleTimeoutMs: 10_000 });
      const timers = clock.pending;
      for (let i = 0; i < 50; i++) {
        client.transport.sendBinary(new Uint8Array(1600));
        await settle();
        await clock.advance(200);
      }
      expect(clock.pending).toBe(timers);
      // The last frame came 200 ms ago: 9,799 ms more is still within the period.
      await clock.advance(9_799);
      expect(client.types()).toEqual(['opened']);
      await clock.advance(1);
      expect(disconnectInfo(client.last())).toBe(
        'Server error: no message from the client for 10000 ms',
      );
    });
  });

  describe('server audio (Audio Connector)', () => {
    it('sends whole frames of the selected media', async () => {
      const { session, serverSide } = await opened({}, openParameters({ media: [MONO] }));
      session.sendAudio(new Uint8Array(1600));
      expect(serverSide.sent.at(-1)).toHaveLength(1600);
      expect(() => session.sendAudio(new Uint8Array(0).subarray(0))).not.toThrow();
      const stereo = await opened();
      expect(() => stereo.session.sendAudio(new Uint8Array(3))).toThrow(/whole sample frames/);
      const none = await opened({}, openParameters({ media: [] }));
      expect(() => none.session.sendAudio(new Uint8Array(2))).toThrow(/without media/);
    });
  });

  describe('robustness', () => {
    it('disconnects with a protocol error when discarded gaps would pass the timeline range', async () => {
      const { session, client } = await opened();
      const errors: string[] = [];
      session.on('protocolError', (error) => errors.push(error.code));
      client.send('discarded', { start: 'PT0S', discarded: 'PT4503000S' });
      await settle();
      expect(client.types()).toEqual(['opened']);
      client.send('discarded', { start: 'PT4503000S', discarded: 'PT1000S' });
      await settle();
      expect(disconnectInfo(client.last())).toMatch(
        /^Client Error: discarded could not be handled: the discarded gaps would take the stream position past/,
      );
      expect(errors).toEqual(['AUDIOHOOK_ERR_DURATION_OUT_OF_RANGE']);
      expect(Number.isSafeInteger(session.position)).toBe(true);
    });

    it('logs listener exceptions with the session id and carries on', async () => {
      const { session, client, lines } = await opened();
      session.on('clientMessage', () => {
        throw new Error('listener bug');
      });
      client.send('ping');
      await settle();
      expect(client.types()).toEqual(['opened', 'pong']);
      expect(lines.find((l) => l.message === 'event listener threw')?.fields).toMatchObject({
        sessionId: SESSION_ID,
        err: 'listener bug',
      });
      expect(lines.every((l) => l.fields['sessionId'] === SESSION_ID)).toBe(true);
    });

    it('emits state changes and every message in both directions', async () => {
      const { session, client } = setup();
      const log: string[] = [];
      session.on('state', (s, p) => log.push(`${p}->${s}`));
      session.on('clientMessage', (m) => log.push(`in ${m.type}`));
      session.on('serverMessage', (m) => log.push(`out ${m.type}`));
      client.send('open', openParameters());
      await settle();
      expect(log).toEqual(['in open', 'PREPARING->OPENING', 'out opened', 'OPENING->ACTIVE']);
    });
  });
});
