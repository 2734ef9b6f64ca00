import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Checkpoint, CheckpointFile } from '../src/lib/checkpoint';
import { readOutputTail } from '../src/lib/output-tail';

const line = (key: string, receivedAt: number): string =>
  JSON.stringify({ dedupe_key: key, received_at: new Date(receivedAt).toISOString(), n: key });

describe('CheckpointFile', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'checkpoint-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips a checkpoint and leaves no temporary file behind', async () => {
    const file = new CheckpointFile(join(dir, 'nested', 'events.jsonl.checkpoint'));
    expect(await file.read()).toBeUndefined();
    const cp: Checkpoint = {
      safeUntil: 1_705_314_645_123,
      elasticSafeUntil: null,
      lastEventTime: 1_705_314_640_000,
      token: 7,
      writtenAt: 1_705_314_646_000,
    };
    await file.write(cp);
    await file.write({ ...cp, safeUntil: cp.safeUntil + 1 });
    expect(await file.read()).toEqual({ ...cp, safeUntil: cp.safeUntil + 1 });
    expect(readdirSync(join(dir, 'nested'))).toEqual(['events.jsonl.checkpoint']);
    expect(JSON.parse(readFileSync(file.path, 'utf8'))).toMatchObject({
      version: 1,
      safe_until: '2024-01-15T10:30:45.124Z',
      token: 7,
    });
  });

  it('refuses a file that is not a checkpoint with COLLECTOR_ERR_CHECKPOINT', async () => {
    const path = join(dir, 'cp');
    writeFileSync(path, '{"version":1,"safe_until":"yesterday"}');
    await expect(new CheckpointFile(path).read()).rejects.toMatchObject({
      code: 'COLLECTOR_ERR_CHECKPOINT',
    });
  });
});

describe('readOutputTail', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tail-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads back across rotated files, oldest first, stopping at the first older record', async () => {
    const f = join(dir, 'e.jsonl');
    writeFileSync(`${f}.2`, `${line('a', 1000)}\n${line('b', 2000)}\n`);
    // Long lines, so several 64 KiB chunks are needed.
    const pad = 'x'.repeat(3000);
    const many = Array.from({ length: 100 }, (_, i) =>
      JSON.stringify({ dedupe_key: `m${i}`, received_at: new Date(3000 + i).toISOString(), pad }),
    );
    writeFileSync(`${f}.1`, `${many.join('\n')}\n`);
    writeFileSync(f, `${line('y', 5000)}\nnot json\n\n${line('z', 6000)}\n{"dedupe_key":"torn`);
    const got = await readOutputTail(f, 5, 2000);
    expect(got.map((r) => r.key)).toEqual(['b', ...many.map((_, i) => `m${i}`), 'y', 'z']);
    expect((await readOutputTail(f, 5, 5500)).map((r) => r.key)).toEqual(['z']);
    expect(await readOutputTail(join(dir, 'missing.jsonl'), 5, 0)).toEqual([]);
  });
});
