import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { silentLogger } from '@org/audiohook-protocol';
import { parseOptions as parse, type ClientOptions } from '../src/lib/options';
import { formatSummary, runClient } from '../src/lib/runner';
import { startMiniServer, type MiniServer } from './helpers/mini-server';

function parseOptions(argv: string[]): ClientOptions {
  const options = parse(argv);
  if (options === undefined) throw new Error('unexpected --help');
  return options;
}

let server: MiniServer;
beforeEach(async () => {
  server = await startMiniServer();
});
afterEach(async () => {
  await server.close();
});

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  return {
    stream: new Writable({
      write(chunk: Buffer, _e, cb) {
        text += chunk.toString();
        cb();
      },
    }),
    text: () => text,
  };
}

describe('runClient', () => {
  it('runs several concurrent tone sessions, prints progress and summarizes them', async () => {
    const options = parseOptions([
      server.url,
      '--session-count',
      '3',
      '--connection-rate',
      '30',
      '--max-stream-duration',
      '0.6',
    ]);
    const progress = sink();
    const summary = await runClient(options, {
      progress: progress.stream,
      logger: () => silentLogger,
      signal: new AbortController().signal,
    });
    expect(summary).toMatchObject({ sessions: 3, ok: 3, failed: 0 });
    expect(summary.openLatencyMs.count).toBe(3);
    expect([...server.audioBytes.values()]).toEqual([9600, 9600, 9600]);
    expect(progress.text()).toMatch(/sessions 3\/3 started, 0 open, 3 done \(3 ok, 0 failed\)/);
    expect(formatSummary(summary)).toMatch(/^sessions: 3 \(3 ok, 0 failed\)/);
  });

  it('signs the upgrade when a client secret is given, and not otherwise', async () => {
    const secret = 'TXlTdXBlclNlY3JldEtleVRlbGxOby0xITJAMyM0JDU=';
    for (const extra of [['--client-secret', secret], []]) {
      const options = parseOptions([server.url, '--connection-probe', ...extra]);
      await runClient(options, {
        progress: sink().stream,
        logger: () => silentLogger,
        signal: new AbortController().signal,
      });
    }
    expect(server.headers[0]?.['signature-input']).toMatch(/^sig1=\("@request-target"/);
    expect(server.headers[1]?.['signature']).toBeUndefined();
  });

  it('logs each session under the session id it sends in Audiohook-Session-Id', async () => {
    const options = parseOptions([
      server.url,
      '--session-count',
      '3',
      '--connection-rate',
      '100',
      '--max-stream-duration',
      '0.2',
    ]);
    const logged = new Map<string, string[]>();
    const logger = (sessionId: string) => {
      const lines: string[] = [];
      logged.set(sessionId, lines);
      const log = (_fields: Record<string, unknown>, message: string) => lines.push(message);
      return { debug: log, info: log, warn: log, error: log };
    };
    const summary = await runClient(options, {
      progress: sink().stream,
      logger,
      signal: new AbortController().signal,
    });
    expect(summary).toMatchObject({ sessions: 3, ok: 3 });
    const sent = server.headers.map((h) => String(h['audiohook-session-id'])).sort();
    expect([...logged.keys()].sort()).toEqual(sent);
    // Each id's logger saw its session's lines, and the server's sessions carry the same ids.
    for (const lines of logged.values()) expect(lines).toContain('opened');
    expect(server.sessions.map((s) => s.id).sort()).toEqual(sent);
  });

  it('logs a script action the session refuses (a discard beyond the stream range) and finishes the session', async () => {
    const options = parseOptions([
      server.url,
      '--max-stream-duration',
      '0.6',
      '--script',
      'discard@0.1:1e15',
    ]);
    const lines: [string, Record<string, unknown>][] = [];
    const log = (fields: Record<string, unknown>, message: string) => lines.push([message, fields]);
    const summary = await runClient(options, {
      progress: sink().stream,
      logger: () => ({ debug: log, info: log, warn: log, error: log }),
      signal: new AbortController().signal,
    });
    expect(summary).toMatchObject({ sessions: 1, ok: 1, failed: 0 });
    expect(lines).toContainEqual([
      'script action refused',
      expect.objectContaining({ action: 'discard', err: expect.stringContaining('discard') }),
    ]);
  });

  it('closes every session properly when aborted', async () => {
    const options = parseOptions([server.url, '--session-count', '2', '--connection-rate', '100']);
    const controller = new AbortController();
    const running = runClient(options, {
      progress: sink().stream,
      logger: () => silentLogger,
      signal: controller.signal,
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    controller.abort();
    const summary = await running;
    expect(summary).toMatchObject({ sessions: 2, ok: 2 });
    expect(server.sessions.every((s) => s.state === 'DISCONNECTED')).toBe(true);
  });
});

describe('the CLI process', () => {
  it('runs without a terminal (stdin not a TTY) and exits 0', async () => {
    const root = join(__dirname, '../../..');
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'tools/audiohook-client/src/main.ts',
        server.url,
        '--max-stream-duration',
        '0.4',
        '--session-log-level',
        'silent',
      ],
      {
        cwd: root,
        env: { ...process.env, TSX_TSCONFIG_PATH: 'tools/audiohook-client/tsconfig.json' },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
    expect(stdout).toMatch(/sessions: 1 \(1 ok, 0 failed\)/);
  });

  it('prints a usage error and exits 2 for bad options', async () => {
    const root = join(__dirname, '../../..');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'tools/audiohook-client/src/main.ts', '--session-count', 'x'],
      {
        cwd: root,
        env: { ...process.env, TSX_TSCONFIG_PATH: 'tools/audiohook-client/tsconfig.json' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toMatch(/^audiohook-client: /);
    expect(stderr).toMatch(/Usage: audiohook-client/);
  });
});
