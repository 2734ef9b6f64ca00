// Issue 15 (5): recordings never hold file handles between turns, their number is capped, and a
// recording that cannot be written is an error log line and a metric.

import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseWav } from '@org/audio';
import { createLogger } from '@org/service-kit';
import { captureLogs } from '@org/service-kit/testing';
import { audioRequests, event, startGateway, testConfig, utterance } from './helpers/gateway';

/** Paths this process holds open under `dir`. */
function openFilesUnder(dir: string): string[] {
  const fds = readdirSync('/proc/self/fd');
  return fds.flatMap((fd) => {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      return target.startsWith(dir) ? [target] : [];
    } catch {
      return [];
    }
  });
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'byova-recording-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('audio recording with bounded open files', () => {
  it('closes the files between turns: after a stream ends, no handle is open and the audio is on disk', async () => {
    const gw = await startGateway(
      testConfig({ audio_recording: { enabled: true, output_dir: dir } }),
    );
    try {
      await gw.client.rpc([event('open-1', 'SESSION_START')]);
      await gw.client.rpc(audioRequests('open-1', utterance(500, 500)));
      // The conversation goes on (no SESSION_END), but nothing of it is held open.
      expect(gw.gateway.registry.get('open-1')).toBeDefined();
      expect(openFilesUnder(dir)).toEqual([]);
      const files = readdirSync(dir).sort();
      expect(files).toHaveLength(2);
      const bot = parseWav(
        readFileSync(join(dir, files.find((f) => f.endsWith('_bot.wav')) ?? '')),
      );
      expect(bot.durationSeconds).toBeGreaterThan(3); // welcome + reply
      const caller = parseWav(
        readFileSync(join(dir, files.find((f) => f.endsWith('_caller.wav')) ?? '')),
      );
      expect(caller.durationSeconds).toBeGreaterThan(0.9);
      // The next turn appends to the same files.
      await gw.client.rpc(audioRequests('open-1', utterance(500, 500)));
      const longer = parseWav(
        readFileSync(join(dir, files.find((f) => f.endsWith('_caller.wav')) ?? '')),
      );
      expect(longer.durationSeconds).toBeCloseTo(caller.durationSeconds * 2, 1);
      expect(openFilesUnder(dir)).toEqual([]);
    } finally {
      await gw.stop();
    }
  });

  it('caps the conversations recorded at once: the one over the cap is an error line and a metric', async () => {
    const logs = captureLogs();
    const logger = createLogger({
      service: 'byova-gateway',
      level: 'info',
      destination: logs.destination,
    });
    const gw = await startGateway(
      testConfig({ audio_recording: { enabled: true, output_dir: dir, max_concurrent: 1 } }),
      { logger },
    );
    try {
      await gw.client.rpc([event('cap-1', 'SESSION_START')]);
      await gw.client.rpc([event('cap-2', 'SESSION_START')]);
      const refused = logs.find(
        'audio recording refused: audio_recording.max_concurrent conversations are being recorded',
      );
      expect(refused).toHaveLength(1);
      expect(refused[0]).toMatchObject({ level: 'error', sessionId: 'cap-2' });
      expect(await gw.gateway.metrics.recordingFailures.get({ reason: 'limit' })).toBe(1);
      expect(readdirSync(dir).every((f) => f.startsWith('cap-1_'))).toBe(true);
      // Ending the first frees its slot.
      await gw.client.rpc([event('cap-1', 'SESSION_END')]);
      await gw.client.rpc([event('cap-3', 'SESSION_START')]);
      expect(readdirSync(dir).some((f) => f.startsWith('cap-3_'))).toBe(true);
    } finally {
      await gw.stop();
    }
  });

  it('reports a recording that cannot be written as an error line and a metric, and the call goes on', async () => {
    const blocker = join(dir, 'not-a-folder');
    writeFileSync(blocker, 'x');
    const logs = captureLogs();
    const logger = createLogger({
      service: 'byova-gateway',
      level: 'info',
      destination: logs.destination,
    });
    const gw = await startGateway(
      testConfig({ audio_recording: { enabled: true, output_dir: join(blocker, 'audio') } }),
      { logger },
    );
    try {
      const { responses, error } = await gw.client.rpc([event('fail-1', 'SESSION_START')]);
      expect(error).toBeUndefined();
      expect(responses[0]?.prompts).toHaveLength(1);
      const failed = logs.find(
        'audio recording failed; the rest of this conversation is not recorded',
      );
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatchObject({ level: 'error', sessionId: 'fail-1' });
      expect(await gw.gateway.metrics.recordingFailures.get({ reason: 'write' })).toBe(1);
    } finally {
      await gw.stop();
    }
  });
});
