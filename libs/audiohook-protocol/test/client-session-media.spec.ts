// The client session streaming: pause and resume, media sources, events and scripting,
// robustness.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AudioHookErrorCode,
  ClientSession,
  iterableMediaSource,
  loadWavMediaSource,
  toneMediaSource,
  wavMediaSource,
  type MediaParameter,
} from '../src';
import { ManualClock, type InMemoryTransport } from '../src/testing';
import { MONO, ORG_ID, SESSION_ID, STEREO, settle } from './helpers';
import { FIXTURES, open, setup } from './client-setup';

describe('ClientSession', () => {
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
