import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { JsonlWriter, type JsonlWriterOptions, WRITE_CHUNK_BYTES } from '../src/lib/jsonl-writer';
import { repairBackupNumbers } from '../src/lib/output-repair';

const silent = pino({ level: 'silent' });

/** `count` JSON lines tagged with `src`, each with its newline. */
function lines(src: string, count: number): string {
  return Array.from({ length: count }, (_, n) => `${JSON.stringify({ src, n })}\n`).join('');
}

/** Every line of the output and its backups, oldest file first. */
function allLines(file: string, backups: number): string[] {
  const out: string[] = [];
  for (let i = backups; i >= 0; i -= 1) {
    const path = i === 0 ? file : `${file}.${i}`;
    if (!existsSync(path)) continue;
    const text = readFileSync(path, 'utf8');
    out.push(...text.split('\n').filter((l) => l !== ''));
  }
  return out;
}

/** A lease that a test takes away by hand. */
class Lease {
  held = true;
  readonly mayWrite = (): boolean => this.held;
}

function writer(file: string, lease: Lease, over: Partial<JsonlWriterOptions> = {}): JsonlWriter {
  return new JsonlWriter({
    file,
    maxFileSize: 1 << 20,
    backupCount: 5,
    queueMax: 100_000,
    logger: silent,
    mayWrite: lease.mayWrite,
    ...over,
  });
}

describe('JsonlWriter fenced by the lease at every change to the shared output', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'output-fencing-'));
    file = join(dir, 'audiohook_events.jsonl');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("stops a rotation between two renames once the lease is gone, so the new holder's repair and the old holder's renames never replace a backup", async () => {
    writeFileSync(`${file}.2`, lines('f2', 3));
    writeFileSync(`${file}.1`, lines('f1', 3));
    writeFileSync(file, lines('f0', 3));
    const before = allLines(file, 5);
    const a = new Lease();
    const w = writer(file, a, {
      maxFileSize: readFileSync(file).length + 10, // the next line rotates
      beforeStep: async (step) => {
        // a renamed .2 → .3 and stalls before .1 → .2 (EFS throttling). Meanwhile its lease
        // ends, and b, taking over, opens the output: its repair closes the gap (.3 → .2).
        if (step.op === 'rename' && step.from === `${file}.1`) {
          a.held = false;
          expect(await repairBackupNumbers(file)).toBe(1);
        }
      },
    });
    await w.open();
    w.enqueue(JSON.stringify({ src: 'a', n: 0 }));
    await w.flush();
    expect(w.fenced).toBe(true);
    await w.abandon();
    expect(allLines(file, 5)).toEqual(before); // no backup replaced by another
    expect(readdirSync(dir).sort()).toEqual([
      'audiohook_events.jsonl',
      'audiohook_events.jsonl.1',
      'audiohook_events.jsonl.2',
    ]);
    // b continues the same files: every line kept, in order.
    const b = writer(file, new Lease(), { maxFileSize: readFileSync(file).length + 10 });
    await b.open();
    b.enqueue(JSON.stringify({ src: 'b', n: 0 }));
    await b.close();
    expect(allLines(file, 5)).toEqual([...before, JSON.stringify({ src: 'b', n: 0 })]);
  });

  it('writes a large batch in chunks of whole lines and checks the lease before each: a lease that ends during one write lets at most that chunk land', async () => {
    const a = new Lease();
    const writes: number[] = [];
    const handles: FileHandle[] = [];
    const w = writer(file, a, {
      openFile: async (path, flags) => {
        const fh = await open(path, flags);
        handles.push(fh);
        return new Proxy(fh, {
          get(target, prop) {
            if (prop === 'write') {
              return (buf: Buffer, off: number, len: number) => {
                writes.push(len);
                // The second write (the big batch's first) is sent while the lease holds, and
                // lands after it ended (a stall).
                if (writes.length === 2) a.held = false;
                return target.write(buf, off, len);
              };
            }
            const v: unknown = Reflect.get(target, prop, target);
            return typeof v === 'function' ? (v as (...x: unknown[]) => unknown).bind(target) : v;
          },
        });
      },
    });
    try {
      await w.open();
      w.enqueue(JSON.stringify({ src: 'first', n: 0 }));
      const pad = 'x'.repeat(200);
      // Queued while the first write is under way: one batch of about 700 KiB.
      for (let n = 0; n < 3000; n += 1) w.enqueue(JSON.stringify({ src: 'batch', n, pad }));
      await w.flush();
    } finally {
      await w.abandon();
      for (const fh of handles) await fh.close().catch(() => undefined);
    }
    expect(writes[1]).toBeLessThanOrEqual(WRITE_CHUNK_BYTES);
    expect(writes.length).toBe(2); // nothing after the chunk that was under way
    expect(w.fenced).toBe(true);
    const text = readFileSync(file, 'utf8');
    expect(text.endsWith('\n')).toBe(true); // whole lines only
    const written = text.split('\n').filter((l) => l !== '');
    expect(written.length).toBeGreaterThan(1);
    expect(written.length).toBeLessThan(3001);
  });

  it('opens without repairing anything when the lease is already gone: the torn tail and the backup gap stay for the holder', async () => {
    writeFileSync(`${file}.1`, lines('f1', 2));
    writeFileSync(`${file}.3`, lines('f3', 2));
    writeFileSync(file, `${lines('f0', 2)}{"src":"f0","n":`);
    const w = writer(file, Object.assign(new Lease(), { held: false }));
    await expect(w.open()).rejects.toMatchObject({ code: 'COLLECTOR_ERR_FENCED' });
    await w.abandon();
    expect(readdirSync(dir).sort()).toEqual([
      'audiohook_events.jsonl',
      'audiohook_events.jsonl.1',
      'audiohook_events.jsonl.3',
    ]);
    expect(readFileSync(file, 'utf8').endsWith('"n":')).toBe(true);
  });

  it('stops the backup renumbering at open between two renames once the lease is gone; the next holder finishes it in order', async () => {
    writeFileSync(`${file}.1`, lines('f1', 2));
    writeFileSync(`${file}.3`, lines('f3', 2));
    writeFileSync(`${file}.4`, lines('f4', 2));
    writeFileSync(file, lines('f0', 2));
    const before = allLines(file, 5);
    const a = new Lease();
    const checks = { left: 1 }; // the lease holds for the first check only
    const w = writer(file, a, {
      mayWrite: () => {
        checks.left -= 1;
        return checks.left >= 0;
      },
    });
    await expect(w.open()).rejects.toMatchObject({ code: 'COLLECTOR_ERR_FENCED' });
    await w.abandon();
    // The first check (open) passed; the first rename was refused.
    expect(readdirSync(dir).sort()).toEqual([
      'audiohook_events.jsonl',
      'audiohook_events.jsonl.1',
      'audiohook_events.jsonl.3',
      'audiohook_events.jsonl.4',
    ]);
    const b = writer(file, new Lease());
    await b.open();
    await b.close();
    expect(readdirSync(dir).sort()).toEqual([
      'audiohook_events.jsonl',
      'audiohook_events.jsonl.1',
      'audiohook_events.jsonl.2',
      'audiohook_events.jsonl.3',
    ]);
    expect(allLines(file, 5)).toEqual(before);
  });
});
