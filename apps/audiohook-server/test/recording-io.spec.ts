// The recording I/O (issue 18): file operations batched into worker threads. Operations on a
// file keep their order without waiting for each other, errors come back with their errno
// fields, a dead worker fails what it held and a new one takes over, and close waits for what
// was queued.

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkerIo } from '../src/lib/recording/recording-io';
import { IoOp, RECORDING_IO_WORKER_SOURCE } from '../src/lib/recording/recording-io-worker';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ahs-io-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('WorkerIo', () => {
  it('runs a file’s writes in call order without waiting, strings as UTF-8, positions honoured', async () => {
    const io = new WorkerIo({ batchMs: 5 });
    const file = io.open(join(dir, 'a.txt'));
    const writes = [
      file.write('héllo '),
      file.write(new Uint8Array([119, 111, 114, 108, 100])),
      file.write('H', 0),
    ];
    await Promise.all([...writes, file.close()]);
    expect(await readFile(join(dir, 'a.txt'), 'utf8')).toBe('Héllo world');
    await io.close();
  });

  it('starts its threads on request, and ignores a start after close', async () => {
    const io = new WorkerIo({ threads: 2, batchMs: 0 });
    io.start();
    const file = io.open(join(dir, 'k.txt'));
    await Promise.all([file.write('started'), file.close()]);
    expect(await readFile(join(dir, 'k.txt'), 'utf8')).toBe('started');
    await io.close();
    io.start();
  });

  it('sends only the bytes of a small view on a large buffer', async () => {
    const io = new WorkerIo({ batchMs: 0 });
    const big = new Uint8Array(1 << 20).fill(7);
    const file = io.open(join(dir, 'b.bin'));
    await file.write(big.subarray(10, 14));
    await file.close();
    expect([...(await readFile(join(dir, 'b.bin')))]).toEqual([7, 7, 7, 7]);
    await io.close();
  });

  /** The real worker, also noting the kinds of the operations of each batch in `log`. */
  function loggingWorker(log: string, extra = ''): string {
    return `require('node:worker_threads').parentPort.on('message', (ops) => {
        require('node:fs').appendFileSync(${JSON.stringify(log)}, ops.map((op) => op[0]).join(',') + ';');
        ${extra}
      });\n${RECORDING_IO_WORKER_SOURCE}`;
  }

  function arenaOf(bytes: number): SharedArrayBuffer {
    const arena = new SharedArrayBuffer(bytes);
    const view = new Uint8Array(arena);
    for (let i = 0; i < bytes; i++) view[i] = i;
    return arena;
  }

  it('writes from a shared buffer by its number, sending the buffer once, and whole again after unshare', async () => {
    const log = join(dir, 'ops.log');
    const io = new WorkerIo({ batchMs: 0, workerSource: loggingWorker(log) });
    const arena = arenaOf(64);
    io.share(arena);
    const file = io.open(join(dir, 'n.bin'));
    await file.write(new Uint8Array(arena, 8, 4));
    await file.write(new Uint8Array(arena, 40, 2), 1);
    io.unshare(arena);
    await file.write(new Uint8Array(arena, 60, 4));
    await file.close();
    await io.close();
    expect([...(await readFile(join(dir, 'n.bin')))]).toEqual([8, 40, 41, 11, 60, 61, 62, 63]);
    const { Open, Write, Close, Share, Unshare, WriteShared } = IoOp;
    expect(await readFile(log, 'utf8')).toBe(
      `${Open},${Share},${WriteShared};${WriteShared};${Unshare},${Write};${Close};`,
    );
  });

  it('posts a batch as soon as it holds maxBatchOps operations, without waiting for its timer', async () => {
    const log = join(dir, 'ops.log');
    // A timer this long would outlast the test: every operation below goes in a full batch.
    const io = new WorkerIo({ batchMs: 600_000, maxBatchOps: 3, workerSource: loggingWorker(log) });
    const file = io.open(join(dir, 'full.txt'));
    const writes = ['a', 'b', 'c', 'd'].map((text) => file.write(text));
    await Promise.all([...writes, file.close()]);
    expect(await readFile(join(dir, 'full.txt'), 'utf8')).toBe('abcd');
    const { Open, Write, Close } = IoOp;
    expect(await readFile(log, 'utf8')).toBe(
      `${Open},${Write},${Write};${Write},${Write},${Close};`,
    );
    await io.close();
  });

  it('sends a shared buffer again to the worker that replaces a dead one', async () => {
    const log = join(dir, 'ops.log');
    const io = new WorkerIo({
      batchMs: 0,
      workerSource: loggingWorker(log, `if (ops.some((op) => op[3] === 'die')) process.exit(7);`),
      onWorkerError: () => undefined,
    });
    const arena = arenaOf(16);
    io.share(arena);
    const before = io.open(join(dir, 'o.bin'));
    await before.write(new Uint8Array(arena, 0, 2));
    await expect(before.write('die')).rejects.toMatchObject({ code: 'AHS_ERR_RECORDING_FAILED' });
    const after = io.open(join(dir, 'p.bin'));
    await Promise.all([after.write(new Uint8Array(arena, 2, 2)), after.close()]);
    await io.close();
    expect([...(await readFile(join(dir, 'p.bin')))]).toEqual([2, 3]);
    const { Open, Write, Close, Share, WriteShared } = IoOp;
    expect(await readFile(log, 'utf8')).toBe(
      `${Open},${Share},${WriteShared};${Write};${Open},${Share},${WriteShared},${Close};`,
    );
  });

  it('fails every write of a file that could not be created with the open error, and closes it', async () => {
    const io = new WorkerIo({ batchMs: 0 });
    const file = io.open(join(dir, 'missing', 'c.txt'));
    await expect(file.write('x')).rejects.toMatchObject({
      code: 'ENOENT',
      syscall: 'open',
      path: join(dir, 'missing', 'c.txt'),
    });
    await expect(file.write('y')).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(file.close()).resolves.toBeUndefined();
    await io.close();
  });

  it('fails a batch that cannot be sent to the worker without failing the process or other batches', async () => {
    const io = new WorkerIo({ batchMs: 0 });
    const file = io.open(join(dir, 'l.txt'));
    await file.write('kept');
    const unclonable = (() => undefined) as unknown as string;
    await expect(file.write(unclonable)).rejects.toThrow(/could not be cloned/);
    const other = io.open(join(dir, 'm.txt'));
    await Promise.all([other.write('still works'), other.close(), file.close()]);
    expect(await readFile(join(dir, 'l.txt'), 'utf8')).toBe('kept');
    expect(await readFile(join(dir, 'm.txt'), 'utf8')).toBe('still works');
    await io.close();
  });

  it('renames, and reports a failed rename with its code', async () => {
    const io = new WorkerIo({ threads: 2, batchMs: 0 });
    const file = io.open(join(dir, 'd.txt'));
    await Promise.all([file.write('d'), file.close()]);
    await io.rename(join(dir, 'd.txt'), join(dir, 'e.txt'));
    expect(await readFile(join(dir, 'e.txt'), 'utf8')).toBe('d');
    await expect(io.rename(join(dir, 'd.txt'), join(dir, 'f.txt'))).rejects.toMatchObject({
      code: 'ENOENT',
      syscall: 'rename',
    });
    await io.close();
  });

  it('spreads files over its threads and keeps each file whole', async () => {
    const io = new WorkerIo({ threads: 3, batchMs: 1 });
    const names = Array.from({ length: 30 }, (_, i) => join(dir, `${i}.txt`));
    await Promise.all(
      names.map(async (name, i) => {
        const file = io.open(name);
        const parts = Array.from({ length: 20 }, (_, j) => file.write(`${i}:${j};`));
        await Promise.all([...parts, file.close()]);
      }),
    );
    for (const [i, name] of names.entries()) {
      const expected = Array.from({ length: 20 }, (_, j) => `${i}:${j};`).join('');
      expect(await readFile(name, 'utf8')).toBe(expected);
    }
    await io.close();
  });

  it('close waits for queued operations, then refuses new ones', async () => {
    const io = new WorkerIo({ batchMs: 50 });
    const file = io.open(join(dir, 'g.txt'));
    const written = file.write('queued');
    const closed = file.close();
    await io.close();
    await expect(Promise.all([written, closed])).resolves.toBeDefined();
    expect(await readFile(join(dir, 'g.txt'), 'utf8')).toBe('queued');
    expect(() => io.open(join(dir, 'h.txt'))).toThrow(
      expect.objectContaining({ code: 'AHS_ERR_RECORDING_FAILED' }),
    );
    await expect(io.rename('a', 'b')).rejects.toMatchObject({ code: 'AHS_ERR_RECORDING_FAILED' });
  });

  it('fails what a dead worker held, tells, and serves new files from a fresh one', async () => {
    const deaths: Error[] = [];
    const io = new WorkerIo({
      batchMs: 0,
      // The real worker, made to exit when it is asked to write "die".
      workerSource: `require('node:worker_threads').parentPort.on('message', (ops) => {
        if (ops.some((op) => op[3] === 'die')) process.exit(7);
      });\n${RECORDING_IO_WORKER_SOURCE}`,
      onWorkerError: (error) => deaths.push(error),
    });
    const before = io.open(join(dir, 'i.txt'));
    await before.write('before');
    await expect(before.write('die')).rejects.toMatchObject({
      code: 'AHS_ERR_RECORDING_FAILED',
      message: 'the recording I/O worker died',
    });
    expect(deaths).toHaveLength(1);
    await expect(before.write('after')).rejects.toMatchObject({ code: 'AHS_ERR_RECORDING_FAILED' });
    const after = io.open(join(dir, 'j.txt'));
    await Promise.all([after.write('fresh'), after.close()]);
    expect(await readFile(join(dir, 'j.txt'), 'utf8')).toBe('fresh');
    expect(await readFile(join(dir, 'i.txt'), 'utf8')).toBe('before');
    await io.close();
  });
});
