// The real test client (tools/audiohook-client, run as its own process) against the real server.

import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseWav } from '@org/audio';
import {
  SIGNED_KEY,
  SIGNED_SECRET,
  startTestServer,
  UNSIGNED_KEY,
  type TestServer,
} from './helpers/server';
import { until } from './helpers/wait';

const root = join(__dirname, '../../..');
const FIXTURE = join(__dirname, 'fixtures/stereo-pcmu-8k.wav');

interface Summary {
  sessions: number;
  ok: number;
  failed: number;
  failures: Record<string, number>;
  rttMs: { count: number };
  openLatencyMs: { count: number };
}

function runClient(
  args: string[],
): Promise<{ code: number | null; summary: Summary; stderr: string }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'tools/audiohook-client/src/main.ts',
      ...args,
      '--json',
      '--session-log-level',
      'warn',
    ],
    {
      cwd: root,
      env: { ...process.env, TSX_TSCONFIG_PATH: 'tools/audiohook-client/tsconfig.json' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => {
    child.once('exit', (code) => {
      const line = stdout.trim().split('\n').at(-1) ?? '{}';
      resolve({ code, summary: JSON.parse(line) as Summary, stderr });
    });
  });
}

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ DRAIN_TIMEOUT_MS: '1000' });
});
afterAll(async () => {
  await server.stop();
});

async function wavsAfter(before: readonly string[]): Promise<string[]> {
  return (await readdir(server.directory)).filter((f) => f.endsWith('.wav') && !before.includes(f));
}

/**
 * The WAV of the one recording finished since `before`: the server finalizes it (WAV and
 * sidecar moved out of its work folder) once the socket has closed.
 */
function finishedWav(before: readonly string[]): Promise<string> {
  return until(async () => {
    const [wav] = await wavsAfter(before);
    const names = await readdir(server.directory);
    return wav !== undefined && names.includes(wav.replace(/\.wav$/, '.json')) && wav;
  }, 'the finished recording');
}

/**
 * Resolves once the server holds no session and its work folder no recording: every recording
 * finished and moved to LOG_ROOT_DIR.
 */
function finishedRecordings(): Promise<true> {
  return until(async () => {
    const response = await fetch(`http://127.0.0.1:${server.port}/health`);
    const health = (await response.json()) as { sessions?: number };
    if (health.sessions !== 0) return false;
    const instances = join(server.directory, '.instances');
    for (const run of await readdir(instances)) {
      const open = (await readdir(join(instances, run))).filter((f) => /\.(wav|json)$/.test(f));
      if (open.some((f) => f !== 'owner.json')) return false;
    }
    return true;
  }, 'every recording to be finished and moved');
}

describe('the test client against the server', () => {
  it('streams a WAV file in a signed session; the recording holds exactly the input bytes', async () => {
    const before = await readdir(server.directory);
    const { code, summary } = await runClient([
      '--uri',
      server.url(),
      '--api-key',
      SIGNED_KEY,
      '--client-secret',
      SIGNED_SECRET,
      '--wavfile',
      FIXTURE,
    ]);
    expect(code).toBe(0);
    expect(summary).toMatchObject({ sessions: 1, ok: 1, failed: 0 });
    const wavName = await finishedWav(before);
    const recorded = parseWav(new Uint8Array(await readFile(join(server.directory, wavName))));
    const input = parseWav(new Uint8Array(await readFile(FIXTURE)));
    expect(recorded.format).toEqual(input.format);
    expect(Buffer.from(recorded.data).equals(Buffer.from(input.data))).toBe(true);
  });

  it('fails with a wrong secret (disconnect unauthorized FAILED) and exits 1', async () => {
    const { code, summary } = await runClient([
      server.url(),
      '--api-key',
      SIGNED_KEY,
      '--client-secret',
      Buffer.from('0123456789abcdef0123456789abcdef').toString('base64'),
      '--max-stream-duration',
      '0.4',
    ]);
    expect(code).toBe(1);
    expect(summary.failures).toEqual({ 'FAILED: Signatures do not match': 1 });
  });

  it('fails with an unknown key', async () => {
    const { code, summary } = await runClient([
      server.url(),
      '--api-key',
      'nobody',
      '--max-stream-duration',
      '0.4',
    ]);
    expect(code).toBe(1);
    expect(summary.failed).toBe(1);
  });

  it('works unsigned for a key configured with an empty secret', async () => {
    const { code, summary } = await runClient([
      server.url(),
      '--api-key',
      UNSIGNED_KEY,
      '--max-stream-duration',
      '1.4',
    ]);
    expect(code).toBe(0);
    expect(summary).toMatchObject({ ok: 1 });
    expect(summary.rttMs.count).toBeGreaterThan(0);
  });

  it('runs a connection probe that is answered and not recorded', async () => {
    // The unsigned session of the test before is still being finished and moved.
    await finishedRecordings();
    const before = await readdir(server.directory);
    const { code, summary } = await runClient([
      server.url(),
      '--api-key',
      UNSIGNED_KEY,
      '--connection-probe',
    ]);
    expect(code).toBe(0);
    expect(summary).toMatchObject({ ok: 1 });
    await finishedRecordings();
    expect(await readdir(server.directory)).toEqual(before);
  });

  it('pauses and resumes by script; the recording skips the paused part', async () => {
    const before = await readdir(server.directory);
    const { code } = await runClient([
      server.url(),
      '--api-key',
      UNSIGNED_KEY,
      '--max-stream-duration',
      '1.6',
      '--script',
      'pause@0.4,resume@1.0',
    ]);
    expect(code).toBe(0);
    const wavName = await finishedWav(before);
    const wav = parseWav(new Uint8Array(await readFile(join(server.directory, wavName))));
    // The tone is live: 0.6 s paused are lost, so less than the full 1.6 s is recorded.
    expect(wav.durationSeconds).toBeGreaterThan(0.5);
    expect(wav.durationSeconds).toBeLessThan(1.6);
  });
});
