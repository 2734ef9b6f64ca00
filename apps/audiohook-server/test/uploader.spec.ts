import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { S3RecordingSink, recordingKey } from '../src/lib/recording/uploader';
import { memoryLogger } from './helpers/logger';
import { openRecovery } from './helpers/recovery';
import { s3Client, startLocalS3, type LocalS3 } from './helpers/s3';
import { until } from './helpers/wait';

let dir: string;
let s3: LocalS3;

beforeAll(async () => {
  s3 = await startLocalS3();
});
afterAll(async () => {
  await s3.close();
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ahs-up-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ID = '0f0f0f0f-1111-4222-8333-444444444444';
const startedAt = new Date('2026-02-03T23:59:59.000Z');

describe('recordingKey', () => {
  it('names keys YYYY-MM-DD/<file> in UTC, after the prefix', () => {
    expect(recordingKey('', startedAt, `/x/${ID}.wav`)).toBe(`2026-02-03/${ID}.wav`);
    expect(recordingKey('rec/', startedAt, `/x/${ID}.json`)).toBe(`rec/2026-02-03/${ID}.json`);
  });
});

describe('S3RecordingSink', () => {
  it('uploads both files (multipart for a large WAV) and deletes them locally after success', async () => {
    const wav = join(dir, `${ID}.wav`);
    const json = join(dir, `${ID}.json`);
    const big = Buffer.alloc(11 * 1024 * 1024, 9);
    await writeFile(wav, big);
    await writeFile(json, '{"header":{},"body":[]}');
    const sink = new S3RecordingSink({
      bucket: s3.bucket,
      prefix: 'up1/',
      client: s3.client,
      partSizeBytes: 5 * 1024 * 1024,
      logger: memoryLogger().logger,
    });
    await sink.store({ id: ID, startedAt, paths: [json, wav] });
    expect(await readdir(dir)).toEqual([]);
    expect((await s3.get(`up1/2026-02-03/${ID}.wav`)).length).toBe(big.length);
    expect(Buffer.from(await s3.get(`up1/2026-02-03/${ID}.json`)).toString()).toBe(
      '{"header":{},"body":[]}',
    );
  });

  it('retries, then keeps the files when the store is unreachable; a later sweep uploads them', async () => {
    const wav = join(dir, `${ID}.wav`);
    await writeFile(wav, new Uint8Array(44));
    await writeFile(
      join(dir, `${ID}.json`),
      '{"header":{"timestamp":"2026-02-03T10:00:00.000Z","id":"r"},"body":[\n{"timestamp":"PT0S","type":"end","data":{}}\n]}\n',
    );
    const dead = s3Client('http://127.0.0.1:9'); // nothing listens on the discard port
    const log = memoryLogger();
    const failing = await openRecovery(
      dir,
      log.logger,
      (folders) =>
        new S3RecordingSink({
          bucket: s3.bucket,
          prefix: 'up2/',
          client: dead,
          attempts: 3,
          retryBaseMs: 1,
          logger: log.logger,
          keepFailed: (path) => folders.finalize(path),
        }),
    );
    const first = await failing.recovery.sweep({ root: true });
    await failing.close();
    dead.destroy();
    expect(first).toMatchObject({ found: 1, stored: 0, failed: 1 });
    // Three attempts of the WAV; the sidecar then waits with it, untried.
    expect(log.lines().filter((l) => l['msg'] === 'recording upload failed')).toHaveLength(3);
    // Back in LOG_ROOT_DIR, and the work folder is gone.
    expect((await readdir(dir)).sort()).toEqual([`${ID}.json`, `${ID}.wav`]);

    const working = await openRecovery(
      dir,
      log.logger,
      (folders) =>
        new S3RecordingSink({
          bucket: s3.bucket,
          prefix: 'up2/',
          client: s3.client,
          logger: log.logger,
          keepFailed: (path) => folders.finalize(path),
        }),
    );
    const second = await working.recovery.sweep({ root: true });
    await working.close();
    expect(second).toMatchObject({ found: 1, stored: 1, failed: 0 });
    expect(await readdir(dir)).toEqual([]);
    expect((await s3.keys()).filter((k) => k.startsWith('up2/'))).toEqual([
      `up2/2026-02-03/${ID}.json`,
      `up2/2026-02-03/${ID}.wav`,
    ]);
  });

  it('keeps the sidecar with a WAV whose upload failed, so a later sweep files both under the session start date', async () => {
    const wav = join(dir, `${ID}.wav`);
    const json = join(dir, `${ID}.json`);
    await writeFile(wav, new Uint8Array(44));
    await writeFile(
      json,
      '{"header":{"timestamp":"2026-02-03T23:59:59.000Z","id":"r"},"body":[\n{"timestamp":"PT0S","type":"end","data":{}}\n]}\n',
    );
    // The call went on past midnight (UTC): the WAV was last written the next day.
    const nextDay = new Date('2026-02-04T00:10:00.000Z');
    await utimes(wav, nextDay, nextDay);
    // A store that refuses the WAV (a large multipart upload failing) but takes the sidecar.
    const wavRefused = s3Client(s3.endpoint);
    wavRefused.middlewareStack.add(
      (next) => async (args) => {
        const key = (args.input as { Key?: string }).Key ?? '';
        if (key.endsWith('.wav')) throw new Error('injected WAV upload failure');
        return next(args);
      },
      { step: 'initialize' },
    );
    const log = memoryLogger();
    const sinkOf = (client: S3Client) => (folders: { finalize(path: string): Promise<string> }) =>
      new S3RecordingSink({
        bucket: s3.bucket,
        prefix: 'up5/',
        client,
        attempts: 1,
        retryBaseMs: 1,
        logger: log.logger,
        keepFailed: (path) => folders.finalize(path),
      });
    const failing = await openRecovery(dir, log.logger, sinkOf(wavRefused));
    try {
      expect(await failing.recovery.sweep({ root: true })).toMatchObject({ failed: 1 });
    } finally {
      await failing.close();
      wavRefused.destroy();
    }
    // Nothing of the recording in S3 (no sidecar pointing at absent audio); both files wait.
    expect((await s3.keys()).filter((k) => k.startsWith('up5/'))).toEqual([]);
    expect((await readdir(dir)).sort()).toEqual([`${ID}.json`, `${ID}.wav`]);

    const working = await openRecovery(dir, log.logger, sinkOf(s3.client));
    try {
      expect(await working.recovery.sweep({ root: true })).toMatchObject({ stored: 1 });
    } finally {
      await working.close();
    }
    expect((await s3.keys()).filter((k) => k.startsWith('up5/'))).toEqual([
      `up5/2026-02-03/${ID}.json`,
      `up5/2026-02-03/${ID}.wav`,
    ]);
  });

  describe('periodic scans', () => {
    const SECOND = '22222222-3333-4444-8555-666666666666';
    async function waiting(id: string): Promise<void> {
      await writeFile(join(dir, `${id}.wav`), new Uint8Array(44));
      await writeFile(
        join(dir, `${id}.json`),
        '{"header":{"timestamp":"2026-02-03T10:00:00.000Z","id":"r"},"body":[\n{"timestamp":"PT0S","type":"end","data":{}}\n]}\n',
      );
    }
    function sinkTo(client: S3Client, prefix: string, keep: (path: string) => Promise<string>) {
      return new S3RecordingSink({
        bucket: s3.bucket,
        prefix,
        client,
        attempts: 1,
        retryBaseMs: 1,
        logger: memoryLogger().logger,
        keepFailed: keep,
      });
    }

    it('stop at their first failed upload, leaving the rest waiting in LOG_ROOT_DIR', async () => {
      await waiting(ID);
      await waiting(SECOND);
      const dead = s3Client('http://127.0.0.1:9');
      const recovery = await openRecovery(dir, memoryLogger().logger, (folders) =>
        sinkTo(dead, 'up3/', (path) => folders.finalize(path)),
      );
      try {
        const result = await recovery.recovery.sweep({ root: true, stopAtFirstFailure: true });
        expect(result).toMatchObject({ found: 1, stored: 0, failed: 1 });
      } finally {
        await recovery.close();
        dead.destroy();
      }
      expect((await readdir(dir)).sort()).toEqual(
        [`${ID}.json`, `${ID}.wav`, `${SECOND}.json`, `${SECOND}.wav`].sort(),
      );
    });

    it('upload a recording whose upload failed once S3 is back, without a restart', async () => {
      await waiting(ID);
      const dead = s3Client('http://127.0.0.1:9');
      let client: S3Client = dead;
      const recovery = await openRecovery(
        dir,
        memoryLogger().logger,
        (folders) => ({
          kind: 's3',
          store: (files) => sinkTo(client, 'up4/', (path) => folders.finalize(path)).store(files),
        }),
        { scanIntervalMs: 50 },
      );
      try {
        expect(await recovery.recovery.sweep({ root: true })).toMatchObject({ failed: 1 });
        client = s3.client;
        recovery.recovery.start();
        await until(
          async () => (await s3.keys()).filter((k) => k.startsWith('up4/')).length === 2,
          'the periodic scan to upload both files',
          20_000,
        );
      } finally {
        await recovery.close();
        dead.destroy();
      }
      expect(await readdir(dir)).toEqual([]);
    });
  });
});
