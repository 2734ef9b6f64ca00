import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseWav } from '@org/audio';
import { formatElapsed, repairSidecar, SidecarWriter } from '../src/lib/recording/sidecar';
import { requestInfo } from '../src/lib/session-wiring';
import { SessionRecorder } from '../src/lib/recording/session-recorder';
import { findLeftovers, repairWav } from '../src/lib/recording/leftovers';
import { openRecovery } from './helpers/recovery';
import { memoryLogger } from './helpers/logger';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ahs-rec-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const frame = (n: number, fill: number) => new Uint8Array(n).fill(fill);

describe('formatElapsed', () => {
  it('prints fixed-point seconds without exponent or trailing zeros', () => {
    expect(formatElapsed(0n)).toBe('PT0S');
    expect(formatElapsed(1_500_000_000n)).toBe('PT1.5S');
    expect(formatElapsed(1_494_055n)).toBe('PT0.001494055S');
    expect(formatElapsed(1n)).toBe('PT0.000000001S');
  });
});

describe('SessionRecorder', () => {
  it('writes the selected format with frames as received and a sidecar ending in an end entry', async () => {
    const rec = new SessionRecorder({ directory: dir });
    rec.log('httpInfo', { uri: '/api/v1/audiohook/ws', headers: { host: 'x' } });
    rec.log('audiohook', { dir: 'in', message: { type: 'open' } });
    rec.commit();
    await rec.startAudio({ encoding: 'ulaw', sampleRate: 8000, channels: 2 });
    for (let i = 0; i < 5; i++) rec.appendAudio(frame(3200, i));
    rec.log('statistics', { rtt: 'PT0.01S' });
    const files = await rec.finish();
    expect([...files.paths].sort()).toEqual([rec.jsonPath, rec.wavPath].sort());

    const wav = parseWav(new Uint8Array(await readFile(rec.wavPath)));
    expect(wav.formatTag).toBe(7);
    expect(wav.format).toEqual({ encoding: 'ulaw', sampleRate: 8000, channels: 2 });
    expect(wav.frames).toBe(8000);
    expect(wav.durationSeconds).toBe(1);
    expect(Array.from(wav.data.subarray(3199, 3201))).toEqual([0, 1]);

    const json = JSON.parse(await readFile(rec.jsonPath, 'utf8')) as {
      header: { timestamp: string; id: string };
      body: { timestamp: string; type: string; data: unknown }[];
    };
    expect(json.header.id).toBe(rec.id);
    expect(new Date(json.header.timestamp).getTime()).toBe(rec.startedAt.getTime());
    expect(json.body.map((e) => e.type)).toEqual(['httpInfo', 'audiohook', 'statistics', 'end']);
    for (const entry of json.body) expect(entry.timestamp).toMatch(/^PT(\d*\.)?\d+S$/);
  });

  it('writes nothing for a discarded (probe) recording', async () => {
    const rec = new SessionRecorder({ directory: dir });
    rec.log('httpInfo', {});
    rec.discard();
    rec.commit();
    expect(await rec.finish()).toMatchObject({ paths: [] });
    expect(await readdir(dir)).toEqual([]);
  });

  it('leaves a 44-byte WAV for a session that selected media but sent no audio', async () => {
    const rec = new SessionRecorder({ directory: dir });
    rec.commit();
    await rec.startAudio({ encoding: 'pcm16', sampleRate: 8000, channels: 1 });
    await rec.finish();
    const bytes = await readFile(rec.wavPath);
    expect(bytes.length).toBe(44);
    expect(parseWav(new Uint8Array(bytes)).formatTag).toBe(1);
  });

  it('collects small frames into flushBytes chunks and writes the rest at finish', async () => {
    const rec = new SessionRecorder({ directory: dir, flushBytes: 8000 });
    rec.commit();
    await rec.startAudio({ encoding: 'ulaw', sampleRate: 8000, channels: 2 });
    for (let i = 0; i < 3; i++) rec.appendAudio(frame(3200, i + 1));
    await rec.whenDrained(0);
    expect(rec.audioBytes).toBe(6400);
    await rec.finish();
    const wav = parseWav(new Uint8Array(await readFile(rec.wavPath)));
    expect(wav.data.length).toBe(9600);
    expect(Array.from(wav.data.subarray(6399, 6401))).toEqual([2, 3]);
  });

  it('resolves whenDrained right after commit, while the sidecar file is still being opened', async () => {
    // Regression: waiting for the stream's 'drain' event hung here, because 'drain' only follows
    // a write that overflowed the stream's buffer.
    const rec = new SessionRecorder({ directory: dir });
    rec.commit();
    expect(rec.bufferedBytes).toBeGreaterThan(0);
    await rec.whenDrained(0);
    expect(rec.bufferedBytes).toBe(0);
    await rec.finish();
  });

  it('reports buffered bytes and resolves whenDrained once written', async () => {
    const rec = new SessionRecorder({ directory: dir });
    rec.commit();
    await rec.startAudio({ encoding: 'ulaw', sampleRate: 8000, channels: 1 });
    const buffered = rec.appendAudio(frame(100_000, 1));
    expect(buffered).toBeGreaterThanOrEqual(100_000);
    await rec.whenDrained(0);
    expect(rec.bufferedBytes).toBe(0);
    expect(rec.audioBytes).toBe(100_000);
    await rec.finish();
  });
});

interface SidecarJson {
  body: { type: string; data: Record<string, unknown> }[];
}

describe('sidecar bounds', () => {
  it('drops entries past maxBytes and counts them by type in the end entry', async () => {
    const path = join(dir, 'capped.json');
    const sidecar = SidecarWriter.create(path, { timestamp: 'T', id: 'x' }, 0n, {
      maxBytes: 1000,
    });
    for (let i = 0; i < 30; i++) sidecar.append('logger', { level: 30, msg: `line ${i}` }, 1n);
    sidecar.append('audiohook', { dir: 'in', message: { type: 'update' } }, 1n);
    expect(sidecar.omitted).toEqual({ logger: expect.any(Number), audiohook: 1 });
    await sidecar.close({ note: 'kept' });
    const json = JSON.parse(await readFile(path, 'utf8')) as SidecarJson;
    const written = json.body.filter((e) => e.type === 'logger').length;
    expect(written).toBeGreaterThan(5);
    expect(written).toBeLessThan(30);
    expect(json.body.at(-1)).toMatchObject({
      type: 'end',
      data: { note: 'kept', entriesOmitted: { logger: 30 - written, audiohook: 1 } },
    });
  });

  it('writes the first maxPings ping exchanges and summarises every RTT in end', async () => {
    const rec = new SessionRecorder({ directory: dir, maxPings: 2 });
    rec.commit();
    for (const ms of [10, 30, 20, 40]) {
      rec.log('audiohook', { dir: 'in', message: { type: 'ping' } });
      rec.log('audiohook', { dir: 'out', message: { type: 'pong' } });
      rec.ping(ms * 1e6);
    }
    rec.log('audiohook', { dir: 'in', message: { type: 'close' } });
    await rec.finish();
    const json = JSON.parse(await readFile(rec.jsonPath, 'utf8')) as SidecarJson;
    const kinds = json.body.map((e) =>
      e.type === 'audiohook' ? String((e.data['message'] as { type: string }).type) : e.type,
    );
    expect(kinds).toEqual([
      'ping',
      'pong',
      'statistics',
      'ping',
      'pong',
      'statistics',
      'close',
      'end',
    ]);
    expect(json.body.at(-1)?.data).toEqual({
      pingsOmitted: 2,
      rtt: { count: 4, min: 'PT0.01S', max: 'PT0.04S', mean: 'PT0.025S' },
    });
  });

  it('keeps the end entry empty when nothing was left out', async () => {
    const rec = new SessionRecorder({ directory: dir });
    rec.commit();
    rec.log('audiohook', { dir: 'in', message: { type: 'ping' } });
    rec.ping(5e6);
    await rec.finish();
    const json = JSON.parse(await readFile(rec.jsonPath, 'utf8')) as SidecarJson;
    expect(json.body.at(-1)).toMatchObject({ type: 'end', data: {} });
  });
});

describe('requestInfo (the sidecar copy of the upgrade request)', () => {
  it('redacts the API key, Authorization, Cookie, Signature and every keyid of Signature-Input', () => {
    const info = requestInfo({
      url: '/api/v1/audiohook/ws',
      headers: {
        'x-api-key': 'the-key',
        authorization: 'Bearer t',
        cookie: 'c=1',
        'signature-input':
          'sig1=("@request-target");keyid="the-key";nonce="n", sig2=("x-api-key");alg="hmac-sha256"; KeyId = the-key;created=1',
        signature: 'sig1=:c2lnbmF0dXJl:',
        host: 'example.com',
      },
    });
    expect(info.headers).toEqual({
      'x-api-key': '[redacted]',
      authorization: '[redacted]',
      cookie: '[redacted]',
      'signature-input':
        'sig1=("@request-target");keyid="[redacted]";nonce="n", sig2=("x-api-key");alg="hmac-sha256"; KeyId = "[redacted]";created=1',
      signature: '[redacted]',
      host: 'example.com',
    });
    expect(JSON.stringify(info)).not.toContain('the-key');
  });
});

describe('leftover repair', () => {
  it('fixes the sizes of a WAV whose writer never closed', async () => {
    const rec = new SessionRecorder({ directory: dir, flushBytes: 0 });
    rec.commit();
    await rec.startAudio({ encoding: 'ulaw', sampleRate: 8000, channels: 2 });
    rec.appendAudio(frame(3200, 5));
    await rec.whenDrained(0);
    // Simulate a crash: copy the file as it is now (header still says 0 bytes).
    const crashed = join(dir, '11111111-2222-4333-8444-555555555555.wav');
    await writeFile(crashed, await readFile(rec.wavPath));
    await rec.finish();
    expect(parseWav(new Uint8Array(await readFile(crashed))).frames).toBe(0);
    expect(await repairWav(crashed)).toBe(true);
    expect(parseWav(new Uint8Array(await readFile(crashed))).frames).toBe(1600);
    expect(await repairWav(crashed)).toBe(false);
  });

  it('drops a partial sample frame at the end of a crashed WAV', async () => {
    const rec = new SessionRecorder({ directory: dir });
    rec.commit();
    await rec.startAudio({ encoding: 'pcm16', sampleRate: 8000, channels: 2 });
    rec.appendAudio(frame(4000, 1));
    await rec.finish();
    await truncate(rec.wavPath, 44 + 4000 - 3);
    expect(await repairWav(rec.wavPath)).toBe(true);
    expect(parseWav(new Uint8Array(await readFile(rec.wavPath))).data.length).toBe(3996);
  });

  it('closes a sidecar cut off mid-entry', async () => {
    const path = join(dir, 'x.json');
    await writeFile(
      path,
      '{"header":{"timestamp":"2026-01-01T00:00:00.000Z","id":"x"},"body":[\n' +
        '{"timestamp":"PT0S","type":"httpInfo","data":{}},\n' +
        '{"timestamp":"PT1.5S","type":"audiohook","data":{}},\n{"timestamp":"PT2',
    );
    expect(await repairSidecar(path)).toBe(true);
    const json = JSON.parse(await readFile(path, 'utf8')) as { body: { type: string }[] };
    expect(json.body.map((e) => e.type)).toEqual(['httpInfo', 'audiohook', 'end']);
    expect(await repairSidecar(path)).toBe(false);
  });

  it('groups leftovers by recording id and takes the date from the sidecar header', async () => {
    const id = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
    await writeFile(
      join(dir, `${id}.json`),
      '{"header":{"timestamp":"2025-03-04T05:06:07.000Z","id":"x"},"body":[\n',
    );
    await writeFile(join(dir, `${id}.wav`), new Uint8Array(44));
    await writeFile(join(dir, 'notes.txt'), 'ignored');
    const found = await findLeftovers(dir);
    expect(found).toHaveLength(1);
    expect(found[0]?.startedAt.toISOString()).toBe('2025-03-04T05:06:07.000Z');
    expect(found[0]?.paths).toHaveLength(2);
    expect(await findLeftovers(join(dir, 'missing'))).toEqual([]);
  });

  it('sweeps LOG_ROOT_DIR without S3 by repairing in place', async () => {
    const id = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
    await writeFile(
      join(dir, `${id}.json`),
      '{"header":{"timestamp":"2025-03-04T05:06:07.000Z","id":"x"},"body":[\n',
    );
    const { recovery, close } = await openRecovery(dir, memoryLogger().logger);
    const result = await recovery.sweep({ root: true });
    await close();
    expect(result).toEqual({ found: 1, repaired: 1, stored: 0, failed: 0, adopted: 0 });
    JSON.parse(await readFile(join(dir, `${id}.json`), 'utf8'));
    expect(await readdir(dir)).toEqual([`${id}.json`]);
  });
});
