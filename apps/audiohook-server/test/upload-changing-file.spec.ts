// The S3 sink deletes a file only if nobody wrote it while it was uploaded: a recording still being
// written (one recovered too early) is kept, and uploaded whole by a later store. Loopback only
// (s3rver); the write during the upload is made by a client middleware, not by timing. An NFS
// (EFS) attribute cache is imitated by a `stat` of a path that answers what it answered first.

import type { Stats } from 'node:fs';
import type * as FsPromises from 'node:fs/promises';
import { appendFile, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3RecordingSink } from '../src/lib/recording/uploader';
import { memoryLogger } from './helpers/logger';
import { s3Client, startLocalS3, type LocalS3 } from './helpers/s3';

/** Paths under this folder get their first `stat` answer again, as from an attribute cache. */
let mockCachedUnder: string | undefined;
const mockCache = new Map<string, Stats>();
jest.mock('node:fs/promises', () => {
  const actual = jest.requireActual<typeof FsPromises>('node:fs/promises');
  const cachedStat = async (path: string): Promise<Stats> => {
    const cached = mockCache.get(path);
    if (cached !== undefined) return cached;
    const fresh = await actual.stat(path);
    if (mockCachedUnder !== undefined && path.startsWith(mockCachedUnder)) {
      mockCache.set(path, fresh);
    }
    return fresh;
  };
  return { ...actual, stat: cachedStat };
});

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
  mockCachedUnder = undefined;
  mockCache.clear();
  await rm(dir, { recursive: true, force: true });
});

const ID = '0f0f0f0f-1111-4222-8333-555555555555';
const startedAt = new Date('2026-02-03T10:00:00.000Z');

/** Stores a file that another process appends to right after its first upload reached S3. */
async function storeWhileWritten(): Promise<void> {
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
    mockCache.clear();
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
}

it('keeps a file that was written while it was uploaded instead of deleting it, and a later store uploads it whole', async () => {
  await storeWhileWritten();
});

it('keeps such a file also when stat() of its path answers from a stale attribute cache (NFS, EFS)', async () => {
  mockCachedUnder = dir;
  await storeWhileWritten();
});
