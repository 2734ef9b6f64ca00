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

interface LoggedLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields: Record<string, unknown>;
}

/** A logger that keeps every line, for every session. */
function recordingLogger() {
  const lines: LoggedLine[] = [];
  const at = (level: LoggedLine['level']) => (fields: Record<string, unknown>, message: string) =>
    lines.push({ level, message, fields });
  return {
    lines,
    logger: () => ({ debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }),
  };
}

const isMessageLine = (line: LoggedLine) => /^(sent|received) /.test(line.message);

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

  it('logs every protocol message sent and received at info, one line each, and none per audio frame', async () => {
    const options = parseOptions([server.url, '--max-stream-duration', '1.2']);
    const { lines, logger } = recordingLogger();
    const summary = await runClient(options, {
      progress: sink().stream,
      logger,
      signal: new AbortController().signal,
    });
    expect(summary).toMatchObject({ sessions: 1, ok: 1 });
    // 1.2 s of stereo PCMU in 200 ms frames: 6 frames, none of which may get an info line.
    expect([...server.audioBytes.values()]).toEqual([19200]);
    const info = lines.filter((line) => line.level === 'info');
    const sent = info.filter((line) => line.message.startsWith('sent '));
    const received = info.filter((line) => line.message.startsWith('received '));
    // One line per message: the seqs run 1, 2, 3, … without a gap or a repeat.
    expect(sent.map((line) => line.fields['seq'])).toEqual(sent.map((_, i) => i + 1));
    expect(received.map((line) => line.fields['seq'])).toEqual(received.map((_, i) => i + 1));
    expect(sent[0]).toEqual({
      level: 'info',
      message: 'sent open',
      fields: expect.objectContaining({
        type: 'open',
        seq: 1,
        serverseq: 0,
        position: 'PT0S',
        media: expect.arrayContaining(['PCMU/8000/external+internal']),
      }),
    });
    expect(received[0]?.fields).toEqual({
      type: 'opened',
      seq: 1,
      clientseq: 1,
      media: [expect.stringMatching(/^PCMU\/8000\//)],
      startPaused: false,
    });
    expect(sent.map((line) => line.message)).toContain('sent ping');
    expect(received.map((line) => line.message)).toContain('received pong');
    expect(sent.at(-1)?.fields).toMatchObject({ type: 'close', reason: 'end' });
    expect(received.at(-1)?.message).toBe('received closed');
    // Besides the messages only the milestones, and no full message body at info.
    expect(info.filter((line) => !isMessageLine(line)).map((line) => line.message)).toEqual([
      'opened',
      'session ended',
    ]);
    expect(info.some((line) => 'body' in line.fields)).toBe(false);
  });

  it('adds the whole message to each message line at --session-log-level debug', async () => {
    const options = parseOptions([
      server.url,
      '--connection-probe',
      '--session-log-level',
      'debug',
    ]);
    const { lines, logger } = recordingLogger();
    await runClient(options, {
      progress: sink().stream,
      logger,
      signal: new AbortController().signal,
    });
    const open = lines.find((line) => line.message === 'sent open');
    expect(open?.fields['body']).toMatchObject({
      type: 'open',
      parameters: { participant: expect.objectContaining({ id: expect.any(String) }) },
    });
    expect(open?.fields['participant']).toBeUndefined();
    expect(lines.filter(isMessageLine).every((line) => 'body' in line.fields)).toBe(true);
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

/** Runs the CLI as its own process without a terminal. */
async function runCli(
  args: readonly string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'tools/audiohook-client/src/main.ts', ...args],
    {
      cwd: join(__dirname, '../../..'),
      env: { ...process.env, TSX_TSCONFIG_PATH: 'tools/audiohook-client/tsconfig.json' },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stdout, stderr };
}

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

  it('logs each protocol message at info on stderr by default and keeps stdout to the summary', async () => {
    const { code, stdout, stderr } = await runCli([server.url, '--max-stream-duration', '0.4']);
    expect(code).toBe(0);
    const logLines = stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const messages = logLines.filter((line) => /^(sent|received) /.test(String(line['msg'])));
    expect(messages.map((line) => line['msg'])).toEqual(
      expect.arrayContaining(['sent open', 'received opened', 'sent close', 'received closed']),
    );
    for (const line of messages) {
      expect(line).toMatchObject({
        level: 'info',
        service: 'audiohook-client',
        sessionId: expect.any(String),
        type: expect.any(String),
        seq: expect.any(Number),
      });
    }
    expect(stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/^sessions: 1 \(1 ok, 0 failed\)/),
      expect.stringMatching(/^open latency: /),
      expect.stringMatching(/^ping RTT: /),
      expect.stringMatching(/^stream time: /),
    ]);
  });

  it('logs no message lines in load mode by default (warn level)', async () => {
    const { code, stdout, stderr } = await runCli([
      server.url,
      '--session-count',
      '2',
      '--connection-rate',
      '100',
      '--max-stream-duration',
      '0.4',
      '--json',
    ]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ sessions: 2, ok: 2 });
    expect(stderr).not.toMatch(/"level":"info"/);
    expect(stderr).toMatch(/sessions 2\/2 started/);
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
