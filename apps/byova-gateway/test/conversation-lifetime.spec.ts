import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseWav } from '@org/audio';
import { audioRequests, event, startGateway, testConfig, utterance } from './helpers/gateway';

describe('idle conversation reaper', () => {
  it('ends conversations idle for longer than the timeout, but not those with an open stream', async () => {
    const gw = await startGateway(
      testConfig({ gateway: { idle_timeout_seconds: 60, reaper_interval_seconds: 3600 } }),
    );
    try {
      await gw.client.rpc([event('idle-1', 'SESSION_START')]);
      expect(gw.gateway.registry.size).toBe(1);
      const conversation = gw.gateway.registry.get('idle-1');
      expect(conversation).toBeDefined();
      if (conversation === undefined) return;
      // Times relative to the conversation's last activity: no dependency on how fast the machine is.
      const idleFor = (ms: number): number => conversation.lastActivity + ms;
      expect(await gw.gateway.registry.reap(idleFor(59_000))).toBe(0);
      conversation.openStreams = 1;
      expect(await gw.gateway.registry.reap(idleFor(61_000))).toBe(0);
      conversation.openStreams = 0;
      expect(await gw.gateway.registry.reap(idleFor(61_000))).toBe(1);
      expect(gw.gateway.registry.get('idle-1')).toBeUndefined();
      expect(await gw.gateway.metrics.conversationEnds.get({ reason: 'idle_timeout' })).toBe(1);
    } finally {
      await gw.stop();
    }
  });
});

describe('audio recording', () => {
  it('writes the caller and bot audio of a conversation as WAV files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'byova-rec-'));
    const gw = await startGateway(
      testConfig({ audio_recording: { enabled: true, output_dir: dir } }),
    );
    try {
      await gw.client.rpc([event('rec/1', 'SESSION_START')]);
      await gw.client.rpc(audioRequests('rec/1', utterance(500, 500)));
      await gw.client.rpc([event('rec/1', 'SESSION_END')]);
      const files = await import('node:fs/promises').then((fs) => fs.readdir(dir));
      const caller = files.find((f) => f.endsWith('_caller.wav'));
      const bot = files.find((f) => f.endsWith('_bot.wav'));
      expect(caller).toMatch(/^rec_1_/);
      expect(bot).toBeDefined();
      const callerWav = parseWav(readFileSync(join(dir, caller as string)));
      expect(callerWav.format).toEqual({ encoding: 'pcm16', sampleRate: 8000, channels: 1 });
      expect(callerWav.durationSeconds).toBeGreaterThan(0.9);
      const botWav = parseWav(readFileSync(join(dir, bot as string)));
      expect(botWav.format.encoding).toBe('ulaw');
      expect(botWav.durationSeconds).toBeGreaterThan(3); // welcome + reply
    } finally {
      await gw.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    expect(existsSync(dir)).toBe(false);
  });
});
