// The S3 sink deletes a file only if nobody wrote it while it was uploaded: a recording still being
// written (one recovered too early) is kept, and uploaded whole by a later store. Loopback only
// (s3rver); the write during the upload is made by a client middleware, not by timing.

import { appendFile, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3RecordingSink } from '../src/lib/recording/uploader';
import { memoryLogger } from './helpers/logger';
import { s3Client, startLocalS3, type LocalS3 } from './helpers/s3';

let dir: string;
let s3: LocalS3;
beforeAll(async () => {
  s3 = await startLocalS3();
});
afterAll(async () => {
  await s3.close();
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ahs-grow-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ID = '0f0f0f0f-1111-4222-8333-555555555555';
const startedAt = new Date('2026-02-03T10:00:00.000Z');

it('keeps a file that was written while it was uploaded instead of deleting it, and a later store uploads it whole', async () => {
  const wav = join(dir, `${ID}.wav`);
  await writeFile(wav, Buffer.alloc(1000, 1));
  const client = s3Client(s3.endpoint);
  let writes = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      // Another process appends audio right after the first upload reached the store.
      if (context.commandName === 'PutObjectCommand' && writes++ === 0) {
        await appendFile(wav, Buffer.alloc(600, 2));
      }
      return result;
    },
    { step: 'deserialize', name: 'writeDuringUpload' },
  );
  const kept: string[] = [];
  const sink = new S3RecordingSink({
    bucket: s3.bucket,
    prefix: 'grow/',
    client,
    attempts: 1,
    logger: memoryLogger().logger,
    keepFailed: (path) => {
      kept.push(path);
      return Promise.resolve(path);
    },
  });
  try {
    await expect(sink.store({ id: ID, startedAt, paths: [wav] })).rejects.toMatchObject({
      code: 'AHS_ERR_UPLOAD_FAILED',
      message: expect.stringContaining('changed while it was uploaded'),
    });
    expect((await stat(wav)).size).toBe(1600);
    expect(kept).toEqual([wav]);

    await sink.store({ id: ID, startedAt, paths: [wav] });
    expect(await readdir(dir)).toEqual([]);
    const stored = await s3.get(`grow/2026-02-03/${ID}.wav`);
    expect(stored.length).toBe(1600);
    expect(stored[1599]).toBe(2);
  } finally {
    client.destroy();
  }
});
