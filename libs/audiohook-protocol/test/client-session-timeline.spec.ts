// The client session's stream timeline as the server sees it (spec §8.4): overlapping server and
// client pauses are one pause whose `resumed` reports all the audio lost, and audio skipped for
// `discardTo` is reported even when the media ends or the session closes before the target.

import { toneMediaSource } from '../src';
import { settle } from './helpers';
import { withServer } from './client-setup';

describe('ClientSession timeline', () => {
  describe('overlapping pauses', () => {
    it('keeps the server pause when the client pauses during it and reports all lost audio in one resumed', async () => {
      const { clock, server, client, script } = withServer((c) => ({
        media: toneMediaSource({ durationMs: 60_000, clock: c }),
      }));
      const events: string[] = [];
      client.on('paused', (by) => events.push(`paused ${by}`));
      client.on('resumed', () => events.push('resumed'));
      await client.start();
      await clock.advance(400); // frames at 0, 200 and 400 ms: position 0.6 s
      server.pause();
      await clock.advance(1000); // 1 s of live audio lost to the server's pause
      expect(client.pause()).toBe(true); // the agent puts the call on hold
      await settle();
      server.resume(); // the client is still on hold: it answers `paused`
      await clock.advance(400); // 0.4 s more lost
      expect(client.paused).toBe(true);
      expect(client.resume()).toBe(true);
      await clock.advance(400);
      expect(script()).toEqual([
        'paused',
        'paused',
        'paused',
        'resumed {"start":"PT0.6S","discarded":"PT1.4S"}',
      ]);
      expect(events).toEqual(['paused server', 'resumed']);
      expect(client.position).toBe(2_400_000_000);
      expect(server.position).toBe(client.position);
      client.close();
    });

    it('keeps audio paused when the client resumes while the server pause is still on', async () => {
      const { clock, server, client, script } = withServer((c) => ({
        media: toneMediaSource({ durationMs: 60_000, clock: c }),
      }));
      let frames = 0;
      server.on('audio', () => frames++);
      await client.start();
      await clock.advance(400);
      expect(client.pause()).toBe(true); // hold at 0.6 s
      await settle();
      server.pause(); // the server asks for a pause too
      await clock.advance(400);
      expect(client.resume()).toBe(true); // the hold ends, the server's pause does not
      expect(client.resume()).toBe(false);
      const before = frames;
      await clock.advance(1000);
      expect(frames).toBe(before);
      expect(client.paused).toBe(true);
      expect(script()).toEqual(['paused', 'paused']);
      server.resume();
      await clock.advance(400);
      expect(script()).toEqual([
        'paused',
        'paused',
        'resumed {"start":"PT0.6S","discarded":"PT1.4S"}',
      ]);
      expect(frames).toBeGreaterThan(before);
      expect(client.paused).toBe(false);
      expect(server.position).toBe(client.position);
      expect(client.pause()).toBe(true);
      expect(client.pause()).toBe(false); // already held: nothing sent, nothing reset
      client.close();
    });
  });

  describe('discardTo', () => {
    it('reports audio skipped for discardTo when the media ends before reaching it', async () => {
      const { clock, server, client, script } = withServer((c) => ({
        media: toneMediaSource({ durationMs: 2000, clock: c }),
      }));
      server.addOpenHandler(({ setDiscardTo }) => setDiscardTo(5_000_000_000));
      await client.start();
      await clock.advance(3000);
      expect(script()).toEqual([
        'discarded {"start":"PT0S","discarded":"PT2S"}',
        'close {"reason":"end"}',
      ]);
      expect(client.position).toBe(2_000_000_000);
      expect(server.position).toBe(client.position);
      expect(server.clientPosition).toBe(client.position);
    });

    it('reports audio skipped for discardTo when the session closes before reaching it', async () => {
      const { clock, server, client, script } = withServer((c) => ({
        media: toneMediaSource({ durationMs: 60_000, clock: c }),
      }));
      server.addOpenHandler(({ setDiscardTo }) => setDiscardTo(10_000_000_000));
      await client.start();
      await clock.advance(1000); // six 200 ms frames skipped
      client.close();
      await settle();
      expect(script()).toEqual([
        'discarded {"start":"PT0S","discarded":"PT1.2S"}',
        'close {"reason":"end"}',
      ]);
      expect(server.position).toBe(1_200_000_000);
      expect(server.clientPosition).toBe(client.position);
      expect((await client.finished).clean).toBe(true);
    });
  });
});
