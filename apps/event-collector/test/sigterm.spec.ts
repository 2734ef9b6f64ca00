import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeElastic } from './fakes/fake-elastic';
import { audioHookBody, FakeGenesys } from './fakes/fake-genesys';
import { readJsonl, testEnv, topicOf, waitFor } from './helpers';

const main = join(__dirname, '..', 'src', 'main.ts');
// The workspace paths (@org/*) for tsx, whatever the working folder.
const TSX_TSCONFIG_PATH = join(__dirname, '..', 'tsconfig.json');

describe('the collector process', () => {
  let genesys: FakeGenesys;
  let es: FakeElastic;
  let dir: string;
  beforeEach(async () => {
    genesys = await new FakeGenesys({ heartbeatIntervalMs: 500 }).start();
    es = await new FakeElastic().start();
    dir = mkdtempSync(join(tmpdir(), 'sigterm-'));
  });
  afterEach(async () => {
    await genesys.stop();
    await es.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('on SIGTERM with events in flight, stops reading, puts every accepted event on disk and in Elasticsearch, and exits 0', async () => {
    const env: Record<string, string> = {
      ...testEnv(genesys, dir, es),
      LOG_LEVEL: 'info',
      BULK_SIZE: '10000',
      ELASTIC_FLUSH_INTERVAL_MS: '600000',
    };
    const child = spawn(process.execPath, ['--import', 'tsx', main], {
      env: { ...process.env, TSX_TSCONFIG_PATH, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => resolve(code)),
    );
    try {
      await waitFor(
        'child connected',
        () => genesys.connectedChannels().length === 1,
        20_000,
      ).catch((err: unknown) => {
        throw new Error(
          `${String(err)}\nstdout: ${stdout.slice(-2000)}\nstderr: ${stderr.slice(-2000)}`,
        );
      });
      const bodies = Array.from({ length: 3000 }, (_, i) => audioHookBody(i));
      await genesys.publishMany(topicOf(), bodies, { chunk: 250 });
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const last = lines.find((l) => l['msg'] === 'stopped; every accepted event is on disk') as {
      written: number;
      counters: { events_written: number };
    };
    expect(last).toBeDefined();
    // The service kit's shutdown handler has the last word.
    expect(lines.at(-1)).toMatchObject({ msg: 'stopped', reason: 'SIGTERM' });
    const records = readJsonl(env['OUTPUT_FILE'] ?? '');
    expect(records.length).toBe(last.counters.events_written);
    expect(records.length).toBeGreaterThan(0);
    expect(new Set(records.map((r) => r['dedupe_key'])).size).toBe(records.length);
    // The final Elasticsearch flush happened at shutdown (the interval never fired).
    expect(es.index('genesys-audiohook').size).toBe(records.length);
    expect(genesys.connectedChannels()).toEqual([]);
    expect(stderr).toBe('');
  });

  it('exits 2 with a clear message when the configuration is invalid', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', main], {
      env: {
        ...process.env,
        TSX_TSCONFIG_PATH,
        GENESYS_CLIENT_ID: '',
        GENESYS_CLIENT_SECRET: 's',
        MAX_FILE_SIZE: 'ten',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(2);
    const line = JSON.parse(stderr.trim()) as { code: string; msg: string };
    expect(line.code).toBe('COLLECTOR_ERR_CONFIG');
    expect(line.msg).toContain('GENESYS_CLIENT_ID is required');
    expect(line.msg).toContain('MAX_FILE_SIZE must be a whole number');
  });
});
