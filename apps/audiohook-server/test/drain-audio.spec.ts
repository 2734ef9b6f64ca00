// Issue 15 item 2: a SIGTERM drain must keep every byte of audio that arrives before the socket
// closes, including frames the client sent while the server's `disconnect` was on its way.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseWav } from '@org/audio';
import { RawClient } from './helpers/raw-client';
import { UNSIGNED_KEY } from './helpers/server';
import { until } from './helpers/wait';

const root = join(__dirname, '../../..');
const SESSIONS = 50;
const FRAME_BYTES = 1600; // 100 ms of stereo PCMU

/** Runs src/main.ts in its own process (through tsx) and resolves with the port it bound. */
function startProcess(env: Record<string, string>): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/audiohook-server/src/main.ts'], {
    cwd: root,
    env: { ...process.env, TSX_TSCONFIG_PATH: 'apps/audiohook-server/tsconfig.json', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const match = /"address":"127\.0\.0\.1:(\d+)"/.exec(line);
      if (match !== null) resolve({ child, port: Number(match[1]) });
    });
    child.once('exit', (code) => reject(new Error(`server exited early (${code})`)));
  });
}

/** A client that streams frames until the server's `disconnect`, plus one frame in flight. */
class StreamingClient {
  readonly client: RawClient;
  readonly sent: Uint8Array[] = [];
  #timer: NodeJS.Timeout | undefined;
  readonly done: Promise<void>;

  constructor(url: string, index: number) {
    this.client = new RawClient({ url, apiKey: UNSIGNED_KEY });
    let finish!: () => void;
    this.done = new Promise((resolve) => (finish = resolve));
    this.client.socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      const message = JSON.parse(String(data)) as { type: string };
      if (message.type !== 'disconnect') return;
      // The frame a real client has on the wire when the disconnect reaches it.
      this.#sendFrame(index);
      clearInterval(this.#timer);
      void this.client.finish('disconnect').then(finish, finish);
    });
    void this.client.opened.then(async () => {
      this.client.open();
      await this.client.waitFor('opened');
      this.#timer = setInterval(() => this.#sendFrame(index), 20);
    });
  }

  /** Stops streaming and drops the connection (cleanup after a failed test). */
  stop(): void {
    clearInterval(this.#timer);
    this.client.socket.terminate();
  }

  #sendFrame(index: number): void {
    const frame = new Uint8Array(FRAME_BYTES).fill((index * 7 + this.sent.length) & 0xff);
    this.sent.push(frame);
    this.client.sendRaw(frame);
  }
}

describe('drain on SIGTERM', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ahs-drain-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps every byte of 50 streaming sessions, frames in flight at the disconnect included', async () => {
    const { child, port } = await startProcess({
      SERVERPORT: '0',
      LOG_ROOT_DIR: dir,
      STATIC_API_KEY_MAP: JSON.stringify({ [UNSIGNED_KEY]: null }),
      DRAIN_TIMEOUT_MS: '500',
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const url = `ws://127.0.0.1:${port}/api/v1/audiohook/ws`;
    const clients = Array.from({ length: SESSIONS }, (_, i) => new StreamingClient(url, i));
    try {
      await Promise.all(clients.map((c) => c.client.waitFor('opened', 20_000)));
      // Let every session stream for a while before the signal.
      await until(() => clients.every((c) => c.sent.length >= 10), 'ten frames per session');
      child.kill('SIGTERM');
      await Promise.all(clients.map((c) => c.done));
      expect(await exited).toBe(0);

      const sentBySession = new Map(clients.map((c) => [c.client.sessionId, c.sent]));
      const wavs = (await readdir(dir)).filter((f) => f.endsWith('.wav'));
      expect(wavs).toHaveLength(SESSIONS);
      const short: string[] = [];
      for (const name of wavs) {
        const sidecar = JSON.parse(
          await readFile(join(dir, name.replace('.wav', '.json')), 'utf8'),
        ) as { body: { type: string; data: { message?: { id?: string } } }[] };
        const sessionId = sidecar.body.find((e) => e.type === 'audiohook')?.data.message?.id;
        const sent = sentBySession.get(sessionId ?? '');
        expect(sent).toBeDefined();
        const expected = Buffer.concat(sent ?? []);
        const wav = parseWav(new Uint8Array(await readFile(join(dir, name))));
        if (!Buffer.from(wav.data).equals(expected)) {
          short.push(`${sessionId}: ${wav.data.length} of ${expected.length} bytes`);
        }
      }
      expect(short).toEqual([]);
    } finally {
      // After a failure too: no client keeps streaming, no server is left running.
      for (const c of clients) c.stop();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }, 120_000);
});
