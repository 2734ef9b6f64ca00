import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { parseWav } from '@org/audio';
import { frames, loadCallerWav, promptAudio, testUtterance, ulawWav } from '../src/lib/audio';
import { parseStep, runCall } from '../src/lib/call';
import { WxccClient } from '../src/lib/client';
import { FrameClock } from '../src/lib/clock';
import { percentiles, runLoad } from '../src/lib/load';
import { voiceTurn } from '../src/lib/turn';
import { startFakeGateway, type FakeGateway } from './helpers';

let fake: FakeGateway;
let client: WxccClient;

beforeAll(async () => {
  fake = await startFakeGateway();
  client = new WxccClient({ target: fake.target });
});
afterAll(async () => {
  client.close();
  await fake.close();
});

const id = (conversationId: string) => ({
  conversationId,
  customerOrgId: 'o',
  virtualAgentId: 'Fake: Main',
});

describe('call scripts', () => {
  it('parses every step kind and rejects bad ones', () => {
    expect(
      [
        'start',
        'say:a.wav',
        'say:tone:500',
        'dtmf:12#',
        'no-input',
        'event:x',
        'hangup',
        'wait:10',
      ].map(parseStep),
    ).toEqual([
      { kind: 'start' },
      { kind: 'say', source: 'a.wav' },
      { kind: 'say', source: 'tone:500' },
      { kind: 'dtmf', keys: '12#' },
      { kind: 'no-input' },
      { kind: 'event', name: 'x' },
      { kind: 'hangup' },
      { kind: 'wait', ms: 10 },
    ]);
    expect(() => parseStep('dtmf:9x')).toThrow(/dtmf keys/);
    expect(() => parseStep('jump')).toThrow(/unknown step "jump"/);
    expect(() => parseStep('say:')).toThrow(/say needs/);
  });

  it('runs a call, prints prompts and events, and collects WAV and CHUNK audio', async () => {
    const lines: string[] = [];
    const result = await runCall(
      client,
      ['start', 'say:tone:400', 'dtmf:5', 'hangup'].map(parseStep),
      {
        ...id('call-1'),
        realtime: false,
        print: (line) => lines.push(line),
      },
    );
    expect(result.outcome).toBe('TRANSFER_TO_AGENT');
    expect(result.failures).toBe(0);
    // 800 bytes of welcome WAV + 500 bytes of CHUNK audio (chunks of 200, 200 and 100 bytes).
    expect(result.botAudio.length).toBe(1300);
    const text = lines.join('\n');
    expect(text).toContain('prompt "Welcome" (0.10 s WAV)');
    expect(text).toContain('event START_OF_INPUT');
    expect(text).toContain('CHUNK  prompt "Chunked"');
    expect(text).toContain('event TRANSFER_TO_AGENT t');
    expect(text).toContain('"hangup" skipped');
  });

  it('reports a failed stream with its status', async () => {
    fake.failNext = status.UNAVAILABLE;
    const lines: string[] = [];
    const result = await runCall(client, [parseStep('start')], {
      ...id('call-2'),
      realtime: false,
      print: (l) => lines.push(l),
    });
    expect(result.failures).toBe(1);
    expect(lines.join('\n')).toContain('status UNAVAILABLE: scripted failure');
  });
});

describe('voice turns', () => {
  it('streams in real time and stops at END_OF_INPUT, then half-closes, as WxCC does', async () => {
    const started = performance.now();
    const turn = await voiceTurn(client, id('turn-1'), testUtterance(200), {
      realtime: true,
      clock: new FrameClock(),
      leadMs: 0,
      maxTrailingMs: 4000,
    });
    expect(turn.code).toBe(status.OK);
    expect(turn.endOfInputMs).toBeDefined();
    expect(turn.replyMs).toBeDefined();
    expect(turn.responses.map((r) => r.response_type)).toEqual([
      'FINAL',
      'FINAL',
      'CHUNK',
      'CHUNK',
      'CHUNK',
      'FINAL',
    ]);
    // The fake says END_OF_INPUT at frame 40 of 10 speech + 200 trailing frames.
    expect(fake.frames.get('turn-1')).toBeGreaterThanOrEqual(40);
    expect(fake.frames.get('turn-1')).toBeLessThan(60);
    // 40 frames at 20 ms each cannot arrive faster than real time.
    expect(performance.now() - started).toBeGreaterThanOrEqual(780);
  });

  it('sends audio unpaced when asked', async () => {
    const turn = await voiceTurn(client, id('turn-2'), testUtterance(2000), {
      realtime: false,
      clock: new FrameClock(),
      leadMs: 0,
    });
    expect(turn.code).toBe(status.OK);
    expect(turn.endOfInputMs).toBeDefined();
    expect(fake.frames.get('turn-2')).toBeGreaterThanOrEqual(40);
  });
});

describe('load mode', () => {
  it('runs concurrent calls and reports RPCs, failures and percentiles', async () => {
    const report = await runLoad(client, {
      calls: 5,
      turnsPerCall: 1,
      virtualAgentId: 'Fake: Main',
      customerOrgId: 'o',
      realtime: false,
      rampMs: 0,
      speechMs: 1000,
    });
    expect(report).toMatchObject({
      calls: 5,
      completedCalls: 5,
      rpcs: 15,
      failedRpcs: 0,
      turns: 5,
    });
    expect(report.endOfInputMs.count).toBe(5);
    expect(report.replyMs.count).toBe(5);
  });

  it('computes nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentiles(values)).toEqual({
      count: 100,
      p50: 50,
      p90: 90,
      p99: 99,
      max: 100,
      mean: 50.5,
    });
    expect(percentiles([])).toMatchObject({ count: 0, p99: 0 });
  });
});

describe('audio helpers', () => {
  it('loads a caller WAV of any format as u-law 8 kHz', () => {
    const ulaw = loadCallerWav(join(__dirname, 'fixtures/caller-16k.wav'));
    expect(ulaw.length).toBe(4000); // 0.5 s at 8 kHz
  });

  it('frames audio in 160-byte frames padded with silence, and reads prompts in both modes', () => {
    const split = frames(new Uint8Array(330).fill(1));
    expect(split.map((f) => f.length)).toEqual([160, 160, 160]);
    expect(split[2]?.[20]).toBe(0xff);
    expect(promptAudio(ulawWav(new Uint8Array(10))).wav).toBe(true);
    expect(promptAudio(new Uint8Array(200)).wav).toBe(false);
    expect(parseWav(ulawWav(new Uint8Array(8000))).durationSeconds).toBe(1);
  });
});

describe('command line', () => {
  it('lists the agents of a gateway, marking the default', async () => {
    // Asynchronous: the fake gateway lives in this process and must keep answering.
    const run = await promisify(execFile)(process.execPath, [
      join(__dirname, '../../../node_modules/tsx/dist/cli.mjs'),
      '--tsconfig',
      join(__dirname, '../tsconfig.json'),
      join(__dirname, '../src/main.ts'),
      'list',
      '--target',
      fake.target,
    ]);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('  Fake: Other  (Other)\n* Fake: Main  (Main)\n');
  });
});
