import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { JsonlWriter } from '../src/lib/jsonl-writer';
import { RecentEvents } from '../src/lib/recent-events';

const silent = pino({ level: 'silent' });

const enospc = (): NodeJS.ErrnoException =>
  Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

/**
 * Opens the real file through a handle whose faults a test arms: `partialWrite` makes the next
 * write store only half its bytes (a short write, as write(2) returns on a filling disk) and the
 * write after it fail with ENOSPC; `truncateFailures` makes that many truncates fail with EIO.
 */
class FaultyDisk {
  partialWrite = false;
  truncateFailures = 0;
  readonly events: string[] = [];
  readonly handles: FileHandle[] = [];

  readonly openFile = async (path: string, flags: string): Promise<FileHandle> => {
    const fh = await open(path, flags);
    this.handles.push(fh);
    let failNext = false;
    const write = async (buf: Buffer, off: number, len: number) => {
      if (failNext) {
        failNext = false;
        this.events.push('ENOSPC');
        throw enospc();
      }
      if (this.partialWrite && len > 1) {
        this.partialWrite = false;
        failNext = true;
        this.events.push('partial');
        return fh.write(buf, off, Math.floor(len / 2));
      }
      this.events.push('write');
      return fh.write(buf, off, len);
    };
    const truncate = async (size: number) => {
      if (this.truncateFailures > 0) {
        this.truncateFailures -= 1;
        this.events.push('truncate failed');
        throw Object.assign(new Error('EIO: i/o error, ftruncate'), { code: 'EIO' });
      }
      this.events.push(`truncate ${size}`);
      return fh.truncate(size);
    };
    return new Proxy(fh, {
      get(target, prop) {
        if (prop === 'write') return write;
        if (prop === 'truncate') return truncate;
        const v: unknown = Reflect.get(target, prop, target);
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  };

  async closeAll(): Promise<void> {
    for (const fh of this.handles) await fh.close().catch(() => undefined);
  }
}

/** Every line of a JSONL file parsed; throws on a line that is not whole JSON. */
function parseLines(file: string): { n: number }[] {
  const text = readFileSync(file, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((l) => JSON.parse(l) as { n: number });
}

describe('JsonlWriter', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'jsonl-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('rotates under load into .1 … .N, deletes the oldest, never splits a line, and keeps every line of the retained files in order', async () => {
    const file = join(dir, 'nested', 'events.jsonl');
    let rotations = 0;
    const w = new JsonlWriter({
      file,
      maxFileSize: 4096,
      backupCount: 3,
      queueMax: 100,
      logger: silent,
      onRotate: () => (rotations += 1),
    });
    await w.open();
    const total = 5000;
    for (let i = 0; i < total; i += 1) {
      if (!w.enqueue(JSON.stringify({ n: i, pad: 'x'.repeat(i % 40) }))) await w.whenWritable();
    }
    await w.close();

    expect(readdirSync(join(dir, 'nested')).sort()).toEqual([
      'events.jsonl',
      'events.jsonl.1',
      'events.jsonl.2',
      'events.jsonl.3',
    ]);
    expect(rotations).toBeGreaterThan(3);
    const ordered = ['events.jsonl.3', 'events.jsonl.2', 'events.jsonl.1', 'events.jsonl'];
    const numbers: number[] = [];
    for (const name of ordered) {
      const path = join(dir, 'nested', name);
      expect(statSync(path).size).toBeLessThanOrEqual(4096);
      const text = readFileSync(path, 'utf8');
      expect(text.endsWith('\n')).toBe(true);
      for (const line of text.split('\n').slice(0, -1))
        numbers.push((JSON.parse(line) as { n: number }).n);
    }
    // Contiguous and ending at the last line: only whole old files were dropped.
    expect(numbers.at(-1)).toBe(total - 1);
    const firstKept = numbers[0] ?? -1;
    numbers.forEach((n, i) => expect(n).toBe(firstKept + i));
    expect(w.written).toBe(total);
  });

  it('adds the missing newline of a file that ends mid-line before appending', async () => {
    const file = join(dir, 'events.jsonl');
    writeFileSync(file, '{"a":1}\n{"a":2}');
    const w = new JsonlWriter({
      file,
      maxFileSize: 1 << 20,
      backupCount: 1,
      queueMax: 10,
      logger: silent,
    });
    await w.open();
    w.enqueue('{"a":3}');
    await w.close();
    expect(readFileSync(file, 'utf8')).toBe('{"a":1}\n{"a":2}\n{"a":3}\n');
  });

  it('asks the producer to pause at queueMax and releases it once drained', async () => {
    const w = new JsonlWriter({
      file: join(dir, 'e.jsonl'),
      maxFileSize: 1 << 20,
      backupCount: 1,
      queueMax: 3,
      logger: silent,
    });
    await w.open();
    const answers = ['1', '2', '3', '4', '5'].map((l) => w.enqueue(l));
    expect(answers).toContain(false);
    await w.whenWritable();
    expect(w.depth).toBeLessThan(3);
    await w.close();
    expect(readFileSync(join(dir, 'e.jsonl'), 'utf8')).toBe('1\n2\n3\n4\n5\n');
  });

  it('cuts the half-written part of a batch that hit a full disk off the file before retrying it, so every line parses and each record is there once', async () => {
    const file = join(dir, 'events.jsonl');
    const disk = new FaultyDisk();
    const errors: unknown[] = [];
    const w = new JsonlWriter({
      file,
      maxFileSize: 1 << 20,
      backupCount: 1,
      queueMax: 100,
      logger: silent,
      openFile: disk.openFile,
      onWriteError: (err) => errors.push(err),
    });
    try {
      await w.open();
      w.enqueue(JSON.stringify({ n: 0 }));
      await w.flush();
      disk.partialWrite = true;
      for (let n = 1; n <= 9; n += 1) w.enqueue(JSON.stringify({ n, pad: 'x'.repeat(20) }));
      await w.close();
    } finally {
      await disk.closeAll();
    }
    expect(disk.events).toEqual([
      'write',
      'partial',
      'ENOSPC',
      `truncate ${Buffer.byteLength('{"n":0}\n')}`,
      'write',
    ]);
    expect(errors).toEqual([expect.objectContaining({ code: 'ENOSPC' })]);
    expect(parseLines(file).map((r) => r.n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(w.written).toBe(10);
    expect(w.lastError).toBeUndefined();
  });

  it('writes nothing after a failed write until the cut succeeds, retrying the cut with backoff', async () => {
    const file = join(dir, 'events.jsonl');
    const disk = new FaultyDisk();
    const w = new JsonlWriter({
      file,
      maxFileSize: 1 << 20,
      backupCount: 1,
      queueMax: 100,
      logger: silent,
      openFile: disk.openFile,
    });
    try {
      await w.open();
      disk.partialWrite = true;
      disk.truncateFailures = 2;
      for (let n = 0; n < 5; n += 1) w.enqueue(JSON.stringify({ n }));
      await w.close();
    } finally {
      await disk.closeAll();
    }
    expect(disk.events).toEqual([
      'partial',
      'ENOSPC',
      'truncate failed',
      'truncate failed',
      'truncate 0',
      'write',
    ]);
    expect(parseLines(file).map((r) => r.n)).toEqual([0, 1, 2, 3, 4]);
  });

  it('fails to open with a typed error when the folder cannot be created', async () => {
    writeFileSync(join(dir, 'file'), 'x');
    const w = new JsonlWriter({
      file: join(dir, 'file', 'e.jsonl'),
      maxFileSize: 1024,
      backupCount: 1,
      queueMax: 1,
      logger: silent,
    });
    await expect(w.open()).rejects.toMatchObject({ code: 'COLLECTOR_ERR_OUTPUT' });
  });

  it('closes and forgets the file it opened when the repair of its end fails', async () => {
    const file = join(dir, 'events.jsonl');
    writeFileSync(file, '{"n":0}\n{"n":1,"tor');
    const handles: FileHandle[] = [];
    let closes = 0;
    const openFile = async (path: string, flags: string): Promise<FileHandle> => {
      const fh = await open(path, flags);
      handles.push(fh);
      return new Proxy(fh, {
        get(target, prop) {
          if (prop === 'read') return () => Promise.reject(new Error('EIO: i/o error, read'));
          if (prop === 'close') {
            return () => {
              closes += 1;
              return target.close();
            };
          }
          const v: unknown = Reflect.get(target, prop, target);
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      });
    };
    const w = new JsonlWriter({
      file,
      maxFileSize: 1 << 20,
      backupCount: 1,
      queueMax: 10,
      logger: silent,
      openFile,
    });
    try {
      await expect(w.open()).rejects.toMatchObject({ code: 'COLLECTOR_ERR_OUTPUT' });
      // Closed by the writer itself, before the error reached the caller...
      expect(closes).toBe(1);
      // ...and forgotten: closing the writer does not close it a second time.
      await w.close();
      expect(closes).toBe(1);
      expect(handles).toHaveLength(1);
    } finally {
      for (const fh of handles) await fh.close().catch(() => undefined);
    }
  });
});

describe('RecentEvents', () => {
  it('seeds the last 50 records from the file tail, skipping blank and broken lines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'recent-'));
    try {
      const file = join(dir, 'e.jsonl');
      const lines = Array.from({ length: 80 }, (_, i) => JSON.stringify({ n: i }));
      lines.splice(75, 0, '{broken', '');
      writeFileSync(file, lines.join('\n'));
      const r = new RecentEvents(50);
      await r.seed(file);
      const got = r.list() as { n: number }[];
      expect(got.length).toBeLessThanOrEqual(50);
      expect(got.at(-1)).toEqual({ n: 79 });
      r.push({ n: 80 });
      expect((r.list() as { n: number }[]).at(-1)).toEqual({ n: 80 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
