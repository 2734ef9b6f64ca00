import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { JsonlWriter } from '../src/lib/jsonl-writer';
import { RecentEvents } from '../src/lib/recent-events';

const silent = pino({ level: 'silent' });

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
