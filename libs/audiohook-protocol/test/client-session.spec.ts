import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AudioHookError,
  AudioHookErrorCode,
  ClientSession,
  ManualClock,
  NIL_UUID,
  createTransportPair,
  iterableMediaSource,
  loadWavMediaSource,
  toneMediaSource,
  wavMediaSource,
  type ClientSessionOptions,
  type InMemoryTransport,
  type MediaParameter,
} from '../src';
import { MONO, ORG_ID, SESSION_ID, STEREO, settle } from './helpers';

const FIXTURES = join(__dirname, 'fixtures');

/** A scripted server that writes raw server messages and records the client's. */
class RawServer {
  seq = 0;
  readonly received: Record<string, unknown>[] = [];
  readonly audio: Uint8Array[] = [];
  constructor(readonly transport: InMemoryTransport) {
    transport.attach({
      onText: (text) => this.received.push(JSON.parse(text) as Record<string, unknown>),
      onBinary: (data) => this.audio.push(data),
      onClose: () => undefined,
    });
  }
  lastClientSeq(): number {
    return (this.received.at(-1)?.['seq'] as number | undefined) ?? 0;
  }
  send(
    type: string,
    parameters: Record<string, unknown> = {},
    extra: Record<string, unknown> = {},
  ): void {
    this.transport.sendText(
      JSON.stringify({
        version: '2',
        id: SESSION_ID,
        type,
        seq: ++this.seq,
        clientseq: this.lastClientSeq(),
        parameters,
        ...extra,
      }),
    );
  }
  types(): string[] {
    return this.received.map((m) => m['type'] as string);
  }
  last(): Record<string, unknown> | undefined {
    return this.received.at(-1);
  }
  errors(): unknown[] {
    return this.received.filter((m) => m['type'] === 'error').map((m) => m['parameters']);
  }
}

function setup(options: Partial<ClientSessionOptions> = {}) {
  const clock = new ManualClock(1_700_000_000_000);
  const [serverSide, clientSide] = createTransportPair();
  const server = new RawServer(serverSide);
  const client = new ClientSession({
    transport: clientSide,
    organizationId: ORG_ID,
    sessionId: SESSION_ID,
    clock,
    ...options,
  });
  return { client, server, clock, serverSide, clientSide };
}

async function open(
  options: Partial<ClientSessionOptions> = {},
  media: unknown[] = options.media?.offeredMedia.slice(0, 1) ?? [],
  extra: Record<string, unknown> = {},
) {
  const context = setup(options);
  const opened = context.client.start();
  await settle();
  context.server.send('opened', { media, ...extra });
  await settle();
  return { ...context, opened: await opened };
}

describe('ClientSession', () => {
  describe('open', () => {
    it('sends open with the offered media and the configured parameters', async () => {
      const { client, server } = setup({
        media: toneMediaSource(),
        language: 'en-US',
        supportedLanguages: true,
        customConfig: { vendor: 'x' },
        inputVariables: { intent: 'billing' },
        continuedSessions: [{ id: SESSION_ID, serverseq: 1, clientseq: 2 }],
        conversationId: '90b0e395-84d3-4570-ac13-9a62d8f514c0',
      });
      void client.start();
      await settle();
      expect(server.last()).toMatchObject({
        type: 'open',
        seq: 1,
        serverseq: 0,
        position: 'PT0S',
        parameters: {
          organizationId: ORG_ID,
          conversationId: '90b0e395-84d3-4570-ac13-9a62d8f514c0',
          participant: { ani: '+1-555-555-1234', aniName: 'John Doe', dnis: '+1-800-555-6789' },
          media: [STEREO, MONO, { ...MONO, channels: ['internal'] }],
          language: 'en-US',
          supportedLanguages: true,
          customConfig: { vendor: 'x' },
          inputVariables: { intent: 'billing' },
          continuedSessions: [{ id: SESSION_ID, serverseq: 1, clientseq: 2 }],
        },
      });
      expect(client.state).toBe('OPENING');
      expect(() => client.start()).toThrow(AudioHookError);
    });

    it('resolves start() with opened and moves to OPEN', async () => {
      const { client, opened } = await open({ media: toneMediaSource({ realtime: true }) });
      expect(opened?.parameters.media).toEqual([STEREO]);
      expect(client.state).toBe('OPEN');
      expect(client.selectedMedia).toEqual(STEREO);
      client.close();
    });

    it('gives up with error 408 when opened does not come within the open timeout', async () => {
      const { client, server, clock } = setup({ openTimeoutMs: 5000 });
      const opened = client.start();
      await clock.advance(5000);
      expect(await opened).toBeUndefined();
      expect(server.errors()).toEqual([{ code: 408, message: 'Open transaction timeout' }]);
      expect(server.last()).toMatchObject({ type: 'close', parameters: { reason: 'error' } });
    });

    it.each([
      ['more than one media', [STEREO, MONO], 400, 'More than one media selected'],
      [
        'media that was not offered',
        [{ ...MONO, channels: ['internal'] }],
        400,
        'Selected media not one of the offered',
      ],
    ])('rejects opened with %s', async (_name, media, code, message) => {
      const { server, client } = await open(
        { media: iterableMediaSource([], STEREO as unknown as MediaParameter) },
        media,
      );
      expect(server.errors()).toEqual([{ code, message }]);
      expect(client.state).toBe('CLOSING');
    });

    it('runs a connection probe: nil ids, then close right after opened', async () => {
      const { server, client } = await open({ probe: true, media: toneMediaSource() });
      const openMessage = server.received[0];
      expect(openMessage?.['parameters']).toMatchObject({
        conversationId: NIL_UUID,
        participant: { id: NIL_UUID, ani: '', aniName: '', dnis: '' },
      });
      expect(server.types()).toEqual(['open', 'close']);
      expect(server.last()).toMatchObject({ position: 'PT0S', parameters: { reason: 'end' } });
      server.send('closed');
      const result = await client.finished;
      expect(result).toMatchObject({ clean: true, closeReason: 'end', audioBytes: 0 });
    });
  });

  describe('server message checks', () => {
    const cases: [string, (s: RawServer) => void, number, RegExp][] = [
      ['a second opened', (s) => s.send('opened', { media: [] }), 409, /Unexpected 'opened'/],
      ['closed outside a close transaction', (s) => s.send('closed'), 409, /Unexpected 'closed'/],
      ['a pong without a ping', (s) => s.send('pong'), 409, /no ping outstanding/],
      ['text that is not JSON', (s) => s.transport.sendText('nope'), 400, /not valid JSON/],
      [
        'a malformed envelope',
        (s) => s.transport.sendText('{"version":"2"}'),
        400,
        /well-formed server message/,
      ],
      ['bad parameters', (s) => s.send('disconnect', {}), 400, /parameters/],
      [
        'another session id',
        (s) => s.send('pause', {}, { id: '11111111-1111-4111-8111-111111111111' }),
        400,
        /Session identifier mismatch/,
      ],
      [
        'a clientseq ahead of the client',
        (s) => s.send('pause', {}, { clientseq: 99 }),
        400,
        /clientseq/,
      ],
      ['a seq gap', (s) => s.send('pause', {}, { seq: 7 }), 500, /Invalid seq/],
      [
        'an unknown message type',
        (s) => s.send('shout'),
        500,
        /Unsupported server message type 'shout'/,
      ],
      ['a message over 64K', (s) => s.transport.sendText(' '.repeat(70_000)), 413, /too large/],
      [
        'binary audio from the server',
        (s) => s.transport.sendBinary(new Uint8Array(160)),
        415,
        /Unexpected binary message/,
      ],
      [
        'an invalid transcript',
        (s) => s.send('event', { entities: [{ type: 'transcript', data: { id: 1 } }] }),
        400,
        /transcript/,
      ],
    ];

    it.each(cases)(
      'answers %s with an error message and close(error)',
      async (_name, act, code, message) => {
        const { server, client } = await open({ pingIntervalMs: 0 });
        const seen: number[] = [];
        client.on('protocolError', (_e, c) => seen.push(c));
        act(server);
        await settle();
        const errors = server.errors() as { code: number; message: string }[];
        expect(errors).toHaveLength(1);
        expect(errors[0]?.code).toBe(code);
        expect(errors[0]?.message).toMatch(message);
        expect(server.last()).toMatchObject({ type: 'close', parameters: { reason: 'error' } });
        expect(seen).toEqual([code]);
        server.transport.close();
        const result = await client.finished;
        expect(result.error?.code).toBe(code);
      },
    );

    it('truncates server-controlled text quoted in its error message', async () => {
      const { server } = await open({ pingIntervalMs: 0 });
      server.send('y'.repeat(60_000));
      await settle();
      const [error] = server.errors() as { code: number; message: string }[];
      expect(error?.code).toBe(500);
      expect(error?.message).toHaveLength(512);
      expect(error?.message.endsWith('...')).toBe(true);
    });

    it('answers pause/resume/event before opened with 409', async () => {
      for (const type of ['pause', 'resume', 'event']) {
        const { client, server } = setup();
        void client.start();
        await settle();
        server.send(type, type === 'event' ? { entities: [{ type: 'x', data: 1 }] } : {});
        await settle();
        expect(server.errors()).toEqual([
          { code: 409, message: `Unexpected '${type}' in state OPENING` },
        ]);
      }
    });
  });

  describe('ping', () => {
    it('pings 1 s after opened, again at once after the first pong, then every 5 s', async () => {
      const { server, client, clock } = await open({}, []);
      await clock.advance(999);
      expect(server.types()).toEqual(['open']);
      await clock.advance(1);
      expect(server.last()).toMatchObject({ type: 'ping', seq: 2, parameters: {} });
      await clock.advance(12);
      server.send('pong', {}, { clientseq: 2 });
      await settle();
      expect(server.last()).toMatchObject({
        type: 'ping',
        seq: 3,
        parameters: { rtt: 'PT0.012S' },
      });
      server.send('pong', {}, { clientseq: 3 });
      await clock.advance(5000);
      expect(server.types()).toEqual(['open', 'ping', 'ping', 'ping']);
      server.send('pong', {}, { clientseq: 4 });
      await settle();
      expect(client.state).toBe('OPEN');
      client.close();
      server.send('closed');
      const result = await client.finished;
      expect(result.rtts).toEqual([12_000_000, 0, 12_000_000]);
    });

    it('fails with 408 when the pong is late and 400 when its clientseq is wrong', async () => {
      const late = await open({}, []);
      await late.clock.advance(6000);
      expect(late.server.errors()).toEqual([{ code: 408, message: 'Timeout waiting for pong' }]);
      const wrong = await open({}, []);
      await wrong.clock.advance(1000);
      wrong.server.send('pong', {}, { clientseq: 1 });
      await settle();
      expect(wrong.server.errors()).toEqual([
        { code: 400, message: 'pong clientseq 1 does not match ping seq 2' },
      ]);
    });
  });

  describe('close', () => {
    it('closes the socket when closed arrives', async () => {
      const { server, client, clientSide } = await open({}, []);
      expect(client.close('end')).toBe(true);
      expect(client.close('end')).toBe(false);
      await settle();
      server.send('closed', { outputVariables: { a: 'b' } });
      const result = await client.finished;
      expect(result).toMatchObject({
        clean: true,
        closed: { outputVariables: { a: 'b' } },
        closeReason: 'end',
      });
      expect(clientSide.closeInfo).toEqual({ code: 1005, reason: '' });
    });

    it('drops the connection with error 408 when closed does not come', async () => {
      const { server, client, clock } = await open({ closeTimeoutMs: 10_000 }, []);
      client.close();
      await clock.advance(10_000);
      expect(server.errors()).toEqual([{ code: 408, message: 'Close transaction timeout' }]);
      expect((await client.finished).clean).toBe(false);
    });

    it('answers disconnect with close(disconnect)', async () => {
      const { server, client } = await open({}, []);
      server.send('disconnect', {
        reason: 'completed',
        info: 'bot done',
        outputVariables: { action: 'transfer' },
      });
      await settle();
      expect(server.last()).toMatchObject({ type: 'close', parameters: { reason: 'disconnect' } });
      server.send('closed');
      expect((await client.finished).disconnect).toEqual({
        reason: 'completed',
        info: 'bot done',
        outputVariables: { action: 'transfer' },
      });
    });

    it('reports a dropped connection as unclean', async () => {
      const { serverSide, client } = await open({}, []);
      serverSide.drop();
      expect((await client.finished).clean).toBe(false);
      expect(client.state).toBe('DISCONNECTED');
    });
  });

  describe('pause and resume', () => {
    it('pauses on server pause (repeating paused) and resumes with start and discarded', async () => {
      const { server, client, clock } = await open({
        pingIntervalMs: 0,
        media: toneMediaSource(),
      });
      void clock;
      server.send('pause');
      await settle();
      server.send('pause');
      await settle();
      expect(server.types().slice(1)).toEqual(['paused', 'paused']);
      expect(client.paused).toBe(true);
      server.send('resume');
      await settle();
      expect(server.last()).toMatchObject({
        type: 'resumed',
        parameters: { start: expect.stringMatching(/^PT/) },
      });
      server.send('resume');
      await settle();
      expect(server.last()).toMatchObject({ type: 'resumed', parameters: { discarded: 'PT0S' } });
      client.close();
    });

    it('answers resume during a client-initiated pause with paused', async () => {
      const { server, client } = await open({ pingIntervalMs: 0 }, []);
      expect(client.pause()).toBe(true);
      server.send('resume');
      await settle();
      expect(server.types().slice(1)).toEqual(['paused', 'paused']);
      expect(client.resume()).toBe(true);
      expect(client.resume()).toBe(false);
      await settle();
      expect(server.last()).toMatchObject({
        type: 'resumed',
        parameters: { start: 'PT0S', discarded: 'PT0S' },
      });
    });

    it('ignores pause and resume while closing', async () => {
      const { server, client } = await open({ pingIntervalMs: 0 }, []);
      client.close();
      server.send('pause');
      server.send('resume');
      await settle();
      expect(server.types()).toEqual(['open', 'close']);
    });

    it('keeps a live source running while paused and reports the lost audio', async () => {
      const frames = [new Uint8Array(800), new Uint8Array(800), new Uint8Array(800)];
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      async function* source() {
        yield frames[0] as Uint8Array;
        await gate;
        yield frames[1] as Uint8Array;
        yield frames[2] as Uint8Array;
      }
      const { server, client } = await open(
        {
          pingIntervalMs: 0,
          closeOnMediaEnd: false,
          media: iterableMediaSource(source(), MONO as unknown as MediaParameter),
        },
        [MONO],
      );
      await settle();
      server.send('pause');
      await settle();
      release();
      await settle();
      server.send('resume');
      await settle();
      expect(server.audio).toHaveLength(1);
      expect(server.last()).toMatchObject({
        type: 'resumed',
        parameters: { start: 'PT0.1S', discarded: 'PT0.2S' },
      });
      expect(client.position).toBe(300_000_000);
    });

    it('delays a non-live source while paused without losing audio', async () => {
      const wav = wavMediaSource(readFileSync(join(FIXTURES, 'stereo-pcmu-0.5s.wav')), {
        realtime: false,
      });
      const { server, client } = await open({ pingIntervalMs: 0, media: wav }, [], {
        startPaused: true,
      });
      void server;
      expect(client.paused).toBe(true);
    });
  });

  describe('media', () => {
    it('streams a WAV file, sending only the selected channel, then closes', async () => {
      const wav = wavMediaSource(readFileSync(join(FIXTURES, 'stereo-pcmu-0.5s.wav')), {
        realtime: false,
      });
      expect(wav.offeredMedia.map((m) => m.channels)).toEqual([
        ['external', 'internal'],
        ['external'],
        ['internal'],
      ]);
      const { server, client } = await open({ pingIntervalMs: 0, media: wav }, [
        { ...MONO, channels: ['internal'] },
      ]);
      await settle();
      expect(server.audio.map((a) => a.length)).toEqual([1600, 1600, 800]);
      expect(server.audio.every((a) => a.every((b) => b === 0x22))).toBe(true);
      expect(server.last()).toMatchObject({
        type: 'close',
        position: 'PT0.5S',
        parameters: { reason: 'end' },
      });
      server.send('closed');
      expect((await client.finished).audioBytes).toBe(4000);
    });

    it('streams stereo WAV in the selected channel order', async () => {
      const wav = wavMediaSource(readFileSync(join(FIXTURES, 'stereo-pcmu-0.5s.wav')), {
        realtime: false,
      });
      const { server } = await open({ pingIntervalMs: 0, media: wav }, [STEREO]);
      await settle();
      expect(Array.from((server.audio[0] as Uint8Array).subarray(0, 4))).toEqual([
        0x11, 0x22, 0x11, 0x22,
      ]);
    });

    it('converts an L16 WAV to PCMU and offers mono on either channel', async () => {
      const wav = await loadWavMediaSource(join(FIXTURES, 'mono-l16-0.3s.wav'), {
        realtime: false,
      });
      expect(wav.offeredMedia.map((m) => m.channels)).toEqual([['external'], ['internal']]);
      const { server } = await open({ pingIntervalMs: 0, media: wav }, [
        { ...MONO, channels: ['internal'] },
      ]);
      await settle();
      expect(server.audio.reduce((n, a) => n + a.length, 0)).toBe(2400);
    });

    it('rejects WAV files it cannot send', async () => {
      expect(() => wavMediaSource(new Uint8Array(10))).toThrow(
        expect.objectContaining({ code: AudioHookErrorCode.MediaSource }),
      );
      expect(() => wavMediaSource(readFileSync(join(FIXTURES, 'mono-l16-16k.wav')))).toThrow(
        /8000 Hz/,
      );
      await expect(loadWavMediaSource(join(FIXTURES, 'missing.wav'))).rejects.toThrow(
        /cannot read/,
      );
    });

    it('skips audio up to discardTo and reports it as discarded', async () => {
      const { server } = await open(
        { pingIntervalMs: 0, media: toneMediaSource({ durationMs: 1000, realtime: false }) },
        [STEREO],
        { discardTo: 'PT0.4S' },
      );
      await settle();
      expect(server.audio).toHaveLength(3);
      const discarded = server.received.find((m) => m['type'] === 'discarded');
      expect(discarded).toMatchObject({ parameters: { start: 'PT0S', discarded: 'PT0.4S' } });
      expect(server.last()).toMatchObject({ type: 'close', position: 'PT1S' });
    });

    it('stops after maxStreamDurationMs', async () => {
      const { server, clock } = await open({
        pingIntervalMs: 0,
        maxStreamDurationMs: 400,
        media: toneMediaSource({ clock: new ManualClock() }),
      });
      await clock.advance(400);
      expect(server.last()).toMatchObject({ type: 'close', parameters: { reason: 'end' } });
    });

    it('paces the tone in real time on the injected clock', async () => {
      const clock = new ManualClock(0);
      const { server, client } = await open({
        pingIntervalMs: 0,
        clock,
        media: toneMediaSource({ clock, durationMs: 600 }),
      });
      void client;
      await settle();
      expect(server.audio).toHaveLength(1);
      await clock.advance(200);
      expect(server.audio).toHaveLength(2);
      await clock.advance(400);
      expect(server.audio).toHaveLength(3);
    });

    it('fails with error 500 when the media source breaks', async () => {
      const bad = iterableMediaSource([new Uint8Array(3)], STEREO as unknown as MediaParameter);
      const { server } = await open({ pingIntervalMs: 0, media: bad });
      await settle();
      expect(server.errors()).toEqual([
        {
          code: 500,
          message: 'Media source failed: a frame of 3 bytes is not whole 2-byte samples',
        },
      ]);
    });

    it('accepts server audio when configured (Audio Connector)', async () => {
      const { server, client } = await open({ pingIntervalMs: 0, acceptServerAudio: true }, []);
      const received: number[] = [];
      client.on('serverAudio', (data) => received.push(data.length));
      server.transport.sendBinary(new Uint8Array(1600));
      await settle();
      expect(received).toEqual([1600]);
    });
  });

  describe('events and scripting', () => {
    it('emits events and validated transcripts', async () => {
      const { server, client } = await open({ pingIntervalMs: 0 }, []);
      const seen: string[] = [];
      client.on('event', (entities) => seen.push(`event ${entities.length}`));
      client.on('transcript', (data) =>
        seen.push(`transcript ${data.alternatives[0]?.interpretations[0]?.transcript}`),
      );
      client.on('reconnect', (p) => seen.push(`reconnect ${p.info}`));
      client.on('updated', () => seen.push('updated'));
      server.send('event', {
        entities: [
          {
            type: 'transcript',
            data: {
              id: '2f5e6c1a-8a0b-4f62-9b1e-0d2c3b4a5f60',
              channelId: 0,
              isFinal: true,
              alternatives: [
                { confidence: 0.9, interpretations: [{ type: 'display', transcript: 'hello' }] },
              ],
            },
          },
          { type: 'custom', data: 1 },
        ],
      });
      server.send('reconnect', { info: 'drain' });
      server.send('updated');
      await settle();
      expect(seen).toEqual(['event 2', 'transcript hello', 'reconnect drain', 'updated']);
    });

    it('sends discarded, update, error, dtmf and playback messages only while open', async () => {
      const { server, client } = setup();
      expect(client.pause()).toBe(false);
      expect(client.discard(1)).toBe(false);
      expect(client.update('fr-FR')).toBe(false);
      expect(client.sendDtmf('1')).toBe(false);
      expect(client.sendPlayback('started')).toBe(false);
      expect(client.sendError(500, 'x')).toBe(false);
      expect(client.close()).toBe(false);
      void client.start();
      await settle();
      server.send('opened', { media: [] });
      await settle();
      client.discard(500_000_000);
      client.update('fr-FR');
      client.sendError(429, 'slow down', 3000);
      client.sendDtmf('5');
      client.sendPlayback('started');
      client.sendPlayback('completed');
      await settle();
      expect(server.received.slice(1).map((m) => [m['type'], m['parameters']])).toEqual([
        ['discarded', { start: 'PT0S', discarded: 'PT0.5S' }],
        ['update', { language: 'fr-FR' }],
        ['error', { code: 429, message: 'slow down', retryAfter: 'PT3S' }],
        ['dtmf', { digit: '5' }],
        ['playback_started', {}],
        ['playback_completed', {}],
      ]);
      expect(client.position).toBe(500_000_000);
    });
  });
});

describe('ClientSession robustness', () => {
  it('never throws out of its frame handlers, whatever the server sends (property)', async () => {
    const { default: fc } = await import('fast-check');
    const frame = fc.oneof(
      fc.json().map((text) => ({ text })),
      fc.string().map((text) => ({ text })),
      fc
        .record({
          type: fc.constantFrom(
            'opened',
            'closed',
            'pong',
            'pause',
            'resume',
            'event',
            'disconnect',
            'reconnect',
            'updated',
            'x',
          ),
          seq: fc.integer({ min: 0, max: 3 }),
          clientseq: fc.integer({ min: 0, max: 3 }),
          parameters: fc.jsonValue(),
        })
        .map((m) => ({ text: JSON.stringify({ version: '2', id: SESSION_ID, ...m }) })),
      fc.uint8Array({ maxLength: 64 }).map((data) => ({ data })),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(frame, { maxLength: 8 }), async (frames) => {
        let handlers: Parameters<InMemoryTransport['attach']>[0] | undefined;
        const client = new ClientSession({
          transport: {
            attach: (h) => (handlers = h),
            sendText: () => undefined,
            sendBinary: () => undefined,
            close: () => undefined,
            pause: () => undefined,
            resume: () => undefined,
          },
          organizationId: ORG_ID,
          sessionId: SESSION_ID,
          clock: new ManualClock(0),
        });
        void client.start();
        for (const f of frames) {
          if ('text' in f) handlers?.onText(f.text);
          else handlers?.onBinary(f.data);
          await Promise.resolve();
        }
        handlers?.onClose(1006, '');
        await client.finished;
      }),
      { numRuns: 200 },
    );
  });
});
