// A client that keeps sending while a turn is under way (a slow vendor, a claim held by another
// instance) is held back by HTTP/2 flow control: the gateway stops reading the stream instead of
// queueing every request it sends, and reads on, losing nothing, once the turn is over.

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metadata, type ServiceError } from '@grpc/grpc-js';
import { parseWav } from '@org/audio';
import type { VoiceVARequest, VoiceVAResponse__Output } from '@org/byova';
import { MAX_QUEUED_STEPS } from '../src/lib/caller-input';
import { metricValue, startGateway, testConfig, until } from './helpers/gateway';
import { HELD_AGENT, HeldConnector } from './helpers/held-connector';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'byova-backpressure-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('a client sending faster than the gateway handles its requests', () => {
  it('is held back by flow control during a turn, and every frame is handled afterwards', async () => {
    const connector = new HeldConnector();
    const gw = await startGateway(
      testConfig({ audio_recording: { enabled: true, output_dir: dir } }),
      { connectors: [connector] },
    );
    const frames = 20 * MAX_QUEUED_STEPS;
    const frameBytes = 1_600; // 200 ms of u-law silence per request
    const call = gw.client.va.ProcessCallerInput(new Metadata());
    const responses: VoiceVAResponse__Output[] = [];
    const done = new Promise<ServiceError | undefined>((resolve) => {
      call.on('data', (r: VoiceVAResponse__Output) => responses.push(r));
      call.on('error', (error: ServiceError) => resolve(error));
      call.on('end', () => resolve(undefined));
    });
    try {
      const base = { conversation_id: 'flood-1', virtual_agent_id: HELD_AGENT };
      call.write({ ...base, dtmf_input: { dtmf_events: ['DTMF_DIGIT_SEVEN'] } });
      await until(() => connector.dtmfBegun, 'the DTMF turn to begin');
      // Frames sent while the turn is held, as fast as the stream takes them.
      let written = 0;
      const writing = (async () => {
        for (; written < frames; written += 1) {
          const ok = call.write({
            ...base,
            audio_input: {
              caller_audio: Buffer.alloc(frameBytes, 0xff),
              encoding: 'MULAW_FORMAT',
              sample_rate_hertz: 8000,
            },
          });
          if (!ok) await new Promise((resolve) => call.once('drain', resolve));
        }
        call.end();
      })();
      const pauses = async (): Promise<number> =>
        metricValue(gw.gateway, 'byova_stream_pauses_total').catch(() => 0);
      await until(
        async () => written === frames || (await pauses()) >= 1,
        'the gateway to pause the stream, or to take every frame',
        20_000,
      );
      // The client is held back: it could not hand over every frame while the turn was held.
      expect(written).toBeLessThan(frames);
      expect(await pauses()).toBe(1);
      connector.release();
      await writing;
      expect(await done).toBeUndefined();
      expect(responses.flatMap((r) => r.prompts.map((p) => p.text))).toEqual(['keys 7']);
      // Nothing was lost: every frame is in the recording (16-bit PCM, 2 bytes per u-law byte).
      const caller = readdirSync(dir).find((f) => f.endsWith('_caller.wav'));
      const wav = parseWav(readFileSync(join(dir, caller ?? 'missing')));
      expect(wav.data.length).toBe(frames * frameBytes * 2);
    } finally {
      connector.release();
      call.cancel();
      await gw.stop();
    }
  });

  it('records the audio a stream received before the client cancelled it during a turn', async () => {
    const connector = new HeldConnector();
    const gw = await startGateway(
      testConfig({ audio_recording: { enabled: true, output_dir: dir } }),
      { connectors: [connector] },
    );
    const call = gw.client.va.ProcessCallerInput(new Metadata());
    call.on('error', () => undefined);
    try {
      const base = { conversation_id: 'cancelled-1', virtual_agent_id: HELD_AGENT };
      call.write({ ...base, dtmf_input: { dtmf_events: ['DTMF_DIGIT_SEVEN'] } });
      await until(() => connector.dtmfBegun, 'the DTMF turn to begin');
      // The caller keeps talking while the turn is under way, until the gateway stops reading
      // (MAX_QUEUED_STEPS - 1 frames then wait behind the turn); then WxCC cancels the stream.
      const frame: VoiceVARequest = {
        ...base,
        audio_input: { caller_audio: Buffer.alloc(1600, 0xff), encoding: 'MULAW_FORMAT' },
      };
      let paused = false;
      const pauses = (): Promise<number> =>
        metricValue(gw.gateway, 'byova_stream_pauses_total').catch(() => 0);
      void (async () => {
        for (let i = 0; i < 1000 && !paused; i += 1)
          if (!call.write(frame)) await new Promise((resolve) => call.once('drain', resolve));
      })();
      await until(async () => (paused = (await pauses()) >= 1), 'the gateway to pause the stream');
      call.cancel();
      await until(
        async () => (await metricValue(gw.gateway, 'byova_streams_active')) === 0,
        'the cancelled stream to close',
      );
      connector.release();
      // The conversation goes on (WxCC opens the next stream): its recording holds that audio.
      const next = await gw.client.rpc([{ ...base, event_input: { event_type: 'NO_INPUT' } }]);
      expect(next.error).toBeUndefined();
      const caller = readdirSync(dir).find((f) => f.endsWith('_caller.wav'));
      const wav = parseWav(readFileSync(join(dir, caller ?? 'missing')));
      expect(wav.data.length).toBeGreaterThanOrEqual((MAX_QUEUED_STEPS - 1) * 1600 * 2);
    } finally {
      connector.release();
      await gw.stop();
    }
  });
});
