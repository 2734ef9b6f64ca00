// Issue 17: the Python gateway's example config.yaml (test/fixtures/python-sample-config.yaml, as
// its README has it) starts this gateway unchanged: explicit AWS keys (with a warning), the Lex
// `audio_logging` block, `bot_alias_id` alone, `record_caller_audio`, `/api/test/create-session`.

import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { int16ToL16, parseWav, tone } from '@org/audio';
import { createLogger } from '@org/service-kit';
import { captureLogs } from '@org/service-kit/testing';
import pino from 'pino';
import { createGateway } from '../src/app';
import { loadConfig } from '../src/config';
import { FakeLex } from './helpers/fake-lex';
import {
  APP_DIR,
  WxccClient,
  audioRequests,
  event,
  startGateway,
  testConfig,
  utterance,
} from './helpers/gateway';

const LOOPBACK = {
  PORT: '0',
  BYOVA_GRPC_HOST: '127.0.0.1',
  BYOVA_MONITORING_PORT: '0',
  BYOVA_MONITORING_HOST: '127.0.0.1',
};
const LEX_AGENT = 'aws_lex_connector: BookingBot';

let dir: string;
let lex: FakeLex;
const saved = { ...process.env };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'byova-sample-'));
  copyFileSync(join(__dirname, 'fixtures/python-sample-config.yaml'), join(dir, 'config.yaml'));
  // The sample's local connector plays the prompts under assets/prompts next to the file.
  symlinkSync(join(APP_DIR, 'assets'), join(dir, 'assets'));
  lex = new FakeLex();
  lex.bots = [
    {
      botId: 'BOT1',
      botName: 'BookingBot',
      aliases: [{ botAliasId: 'LIVE', lastUpdatedDateTime: 1 }],
    },
  ];
  // Lex answers with text and 0.5 s of 16 kHz PCM audio.
  lex.defaultTurn = {
    messages: [{ content: 'How can I help?', contentType: 'PlainText' }],
    audio: Buffer.from(
      int16ToL16(tone({ frequency: 300, sampleRate: 16000, amplitude: 8000, samples: 8000 }), 'le'),
    ),
  };
  const endpoints = await lex.listen();
  // The AWS SDK's own endpoint variables: the file's Lex connector talks to the local fake.
  process.env['AWS_ENDPOINT_URL_LEX_MODELS_V2'] = endpoints.models;
  process.env['AWS_ENDPOINT_URL_LEX_RUNTIME_V2'] = endpoints.runtime;
});
afterAll(async () => {
  process.env = saved;
  await lex.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the Python gateway's example config.yaml", () => {
  it('starts the gateway unchanged, with both connectors, a warning for the keys and Lex audio logging', async () => {
    const logs = captureLogs();
    const logger = createLogger({ service: 'byova-gateway', destination: logs.destination });
    const config = loadConfig(join(dir, 'config.yaml'), LOOPBACK);
    const gateway = createGateway(config, { logger, env: LOOPBACK });
    const { grpcPort, monitoringPort } = await gateway.start();
    const client = new WxccClient(`127.0.0.1:${grpcPort}`);
    try {
      expect(gateway.router.agents().map((a) => a.id)).toEqual([
        'Local Audio: Local Playback',
        LEX_AGENT,
      ]);
      // bot_alias_id alone: the draft alias on every bot found, no alias lookup.
      expect(lex.listCalls).toEqual(['ListBots']);
      expect(logs.lines.find((l) => /IAM role .* is preferred/.test(String(l.msg)))).toMatchObject({
        level: 'warn',
        connector: 'aws_lex_connector_dev',
      });
      // The connector is named once per line (the loader's logger carries it).
      const raw =
        logs
          .text()
          .split('\n')
          .find((line) => line.includes('is preferred')) ?? '';
      expect(raw.match(/"connector":/g)).toHaveLength(1);
      const agent = { virtual_agent_id: LEX_AGENT };
      const welcome = await client.rpc([event('sample-1', 'SESSION_START', agent)]);
      expect(welcome.responses[0]?.prompts[0]?.text).toBe('How can I help?');
      expect(lex.calls.at(-1)).toMatchObject({ botId: 'BOT1', botAliasId: 'TSTALIASID' });
      expect(lex.calls.at(-1)?.authorization).toMatch(/Credential=YOUR_DEV_ACCESS_KEY\//);
      // The file keeps the default end silence (1000 ms).
      const turn = await client.rpc(
        audioRequests('sample-1', utterance(500, 1200)).map((r) => ({ ...r, ...agent })),
      );
      expect(turn.responses.at(-1)?.prompts[0]?.text).toBe('How can I help?');
      // audio_logging: caller (u-law 8 kHz, every frame) and bot files under logs/audio_recordings.
      const recordings = join(dir, 'logs/audio_recordings');
      const files = readdirSync(recordings).sort();
      expect(files).toEqual([
        expect.stringMatching(/^sample-1_\d{8}T\d{9}Z_bot\.wav$/),
        expect.stringMatching(/^sample-1_\d{8}T\d{9}Z_caller\.wav$/),
      ]);
      const caller = parseWav(readFileSync(join(recordings, files[1] as string)));
      expect(caller.format).toEqual({ encoding: 'ulaw', sampleRate: 8000, channels: 1 });
      expect(caller.durationSeconds).toBeGreaterThan(1);
      const bot = parseWav(readFileSync(join(recordings, files[0] as string)));
      expect(bot.durationSeconds).toBeCloseTo(1, 1); // the welcome and the reply, 0.5 s each
      // The dashboard shows no secret of the file.
      const view = await (await fetch(`http://127.0.0.1:${monitoringPort}/api/config`)).text();
      expect(view).not.toContain('YOUR_DEV_SECRET_KEY');
      expect(view).not.toContain('YOUR_DEV_ACCESS_KEY');
    } finally {
      client.close();
      await gateway.stop();
    }
  });

  it('offers /api/test/create-session: a conversation with the default agent, visible on the dashboard', async () => {
    const config = loadConfig(join(dir, 'config.yaml'), LOOPBACK);
    const gateway = createGateway(config, { logger: pino({ level: 'silent' }), env: LOOPBACK });
    const { monitoringPort } = await gateway.start();
    const base = `http://127.0.0.1:${monitoringPort}`;
    try {
      const res = await fetch(`${base}/api/test/create-session`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { conversation_id: string; prompts: { text: string }[] };
      expect(body).toMatchObject({ status: 'created', agent_id: 'Local Audio: Local Playback' });
      expect(body.prompts[0]?.text).toMatch(/^Hello, welcome to the webex contact center/);
      const connections = (await (await fetch(`${base}/api/connections`)).json()) as {
        active_conversations: { conversation_id: string; welcome_sent: boolean }[];
      };
      expect(connections.active_conversations).toContainEqual(
        expect.objectContaining({ conversation_id: body.conversation_id, welcome_sent: true }),
      );
    } finally {
      await gateway.stop();
    }
  });

  it('is refused as is on 0.0.0.0 without JWT validation or login (BYOVA_ALLOW_INSECURE=true accepts the risk)', async () => {
    const config = loadConfig(join(dir, 'config.yaml'), {});
    const gateway = createGateway(config, { logger: pino({ level: 'silent' }) });
    await expect(gateway.start()).rejects.toMatchObject({ code: 'BYOVA_GW_ERR_INSECURE' });
  });
});

describe('test sessions and caller recordings of the Python keys', () => {
  it('caps the test sessions kept open', async () => {
    const gw = await startGateway(testConfig({ monitoring: { max_test_sessions: 1 } }));
    try {
      expect(
        (await fetch(`${gw.httpUrl}/api/test/create-session`, { method: 'POST' })).status,
      ).toBe(200);
      const second = await fetch(`${gw.httpUrl}/api/test/create-session`);
      expect(second.status).toBe(429);
      expect((await fetch(`${gw.httpUrl}/api/test/create-session`, { method: 'PUT' })).status).toBe(
        405,
      );
    } finally {
      await gw.stop();
    }
  });

  it('record_caller_audio records the caller as u-law 8 kHz, even with the gateway-wide recording off', async () => {
    const out = join(dir, 'caller-only');
    const gw = await startGateway(
      testConfig({
        connectors: {
          local_audio_connector: {
            type: 'local_audio_connector',
            config: {
              audio_base_path: 'assets/prompts',
              record_caller_audio: true,
              audio_recording: { output_dir: out },
            },
          },
        },
      }),
    );
    try {
      await gw.client.rpc([event('rec-caller', 'SESSION_START')]);
      await gw.client.rpc(audioRequests('rec-caller', utterance(500, 500)));
      const files = readdirSync(out);
      expect(files).toEqual([expect.stringMatching(/^rec-caller_.*_caller\.wav$/)]);
      const wav = parseWav(readFileSync(join(out, files[0] as string)));
      expect(wav.format).toEqual({ encoding: 'ulaw', sampleRate: 8000, channels: 1 });
      expect(wav.durationSeconds).toBeGreaterThan(1);
    } finally {
      await gw.stop();
    }
  });
});
