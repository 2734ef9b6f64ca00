import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { RawClient } from './helpers/raw-client';
import { UNSIGNED_KEY } from './helpers/server';

const root = join(__dirname, '../../..');

/** Runs src/main.ts in its own process (through tsx) and resolves with the port it bound. */
function startProcess(
  env: Record<string, string>,
): Promise<{ child: ChildProcess; port: number; lines: string[] }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/audiohook-server/src/main.ts'], {
    cwd: root,
    env: { ...process.env, TSX_TSCONFIG_PATH: 'apps/audiohook-server/tsconfig.json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      lines.push(line);
      const match = /"address":"127\.0\.0\.1:(\d+)"/.exec(line);
      if (match !== null) resolve({ child, port: Number(match[1]), lines });
    });
    child.once('exit', (code) =>
      reject(new Error(`server exited early (${code}): ${lines.join('\n')}`)),
    );
  });
}

describe('the server process', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ahs-proc-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('drains on SIGTERM: disconnects a live session properly, finalizes its recording, exits 0', async () => {
    const { child, port, lines } = await startProcess({
      SERVERPORT: '0',
      LOG_ROOT_DIR: dir,
      STATIC_API_KEY_MAP: JSON.stringify({ [UNSIGNED_KEY]: null }),
      DRAIN_TIMEOUT_MS: '300',
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const client = new RawClient({
      url: `ws://127.0.0.1:${port}/api/v1/audiohook/ws`,
      apiKey: UNSIGNED_KEY,
    });
    await client.opened;
    client.open();
    await client.waitFor('opened');
    client.sendRaw(new Uint8Array(3200));
    child.kill('SIGTERM');
    const disconnect = await client.waitFor('disconnect', 10_000);
    expect(disconnect.parameters['reason']).toBe('completed');
    await client.finish('disconnect');
    expect(await exited).toBe(0);
    expect(lines.some((l) => l.includes('"msg":"draining"'))).toBe(true);
    expect((await readdir(dir)).filter((f) => f.endsWith('.wav'))).toHaveLength(1);
  });

  it('exits with status 2 and one clear line on a bad configuration', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'apps/audiohook-server/src/main.ts'],
      {
        cwd: root,
        env: {
          ...process.env,
          TSX_TSCONFIG_PATH: 'apps/audiohook-server/tsconfig.json',
          SERVERPORT: 'x',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toEqual([
      'audiohook-server: invalid configuration: SERVERPORT: must be a whole number (got "x")',
    ]);
  });
});
