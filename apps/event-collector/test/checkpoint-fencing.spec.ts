import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { type Checkpoint, CheckpointFile } from '../src/lib/checkpoint';
import { CheckpointClaims, checkpointGuard } from '../src/lib/checkpoint-claims';
import { Checkpointer } from '../src/lib/checkpointer';
import { JsonlWriter } from '../src/lib/jsonl-writer';
import { Metrics } from '../src/lib/metrics';

const silent = pino({ level: 'silent' });
const T0 = Date.parse('2025-01-15T10:00:00.000Z');

interface Holder {
  checkpointer: Checkpointer;
  fenced: string[];
  writer: JsonlWriter;
}

/**
 * A lease holder's checkpointer wired as a session wires it (`checkpointGuard` around the file),
 * covering up to `coverage`. `beforeWrite` runs after the check that precedes a write and before
 * the write itself: the moment another instance can act in between.
 */
async function holder(
  dir: string,
  token: number,
  coverage: number,
  beforeWrite?: () => Promise<void>,
): Promise<Holder> {
  const claims = new CheckpointClaims(new CheckpointFile(join(dir, 'events.jsonl.checkpoint')));
  const fenced: string[] = [];
  const guard = checkpointGuard({
    claims,
    token,
    mayWrite: () => true,
    onFenced: (reason) => fenced.push(reason),
    logger: silent,
  });
  const writer = new JsonlWriter({
    file: join(dir, 'events.jsonl'),
    maxFileSize: 1 << 20,
    backupCount: 1,
    queueMax: 10,
    logger: silent,
  });
  await writer.open();
  const checkpointer = new Checkpointer(
    {
      file: claims.file,
      writer,
      coverage: () => coverage,
      pendingGapStart: () => undefined,
      elasticPending: undefined,
      lastEventTime: () => undefined,
      token,
      intervalMs: 1000,
      logger: silent,
      metrics: new Metrics({ defaultMetrics: false }),
      mayWrite: async () => {
        const ok = await guard.mayWrite();
        await beforeWrite?.();
        return ok;
      },
      confirm: () => guard.confirm(),
      recordClaim: (cp) => guard.claim(cp),
    },
    await claims.read(),
  );
  return { checkpointer, fenced, writer };
}

const checkpoint = (token: number, safeUntil: number): Checkpoint => ({
  safeUntil,
  elasticSafeUntil: null,
  lastEventTime: null,
  token,
  writtenAt: safeUntil,
});

describe('checkpoint fencing between an old and a new lease holder', () => {
  let dir: string;
  let file: CheckpointFile;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'checkpoint-fencing-'));
    file = new CheckpointFile(join(dir, 'events.jsonl.checkpoint'));
    await file.write(checkpoint(5, T0));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("puts the new holder's checkpoint back when the old holder's rename replaced it after its check had passed, and fences the old holder", async () => {
    let b: Holder | undefined;
    const a = await holder(dir, 5, T0 + 60_000, async () => {
      // Once only: a second holder b opened here at a's next check would be a writer (a
      // FileHandle) nobody closes, left to the garbage collector (DEP0137).
      if (b) return;
      // a checked (token 5 on disk, no newer claim) and stalls; b takes over meanwhile.
      b = await holder(dir, 6, T0);
      await b.checkpointer.claim();
    });
    await a.checkpointer.tick();
    expect(await file.read()).toEqual(expect.objectContaining({ token: 6, safeUntil: T0 }));
    expect(a.fenced).toEqual([
      'a newer lease holder (token 6) claimed the checkpoint while this instance was writing it',
    ]);
    expect(a.checkpointer.last?.token).toBe(5); // a's write does not count as written
    // a's next attempt sees the claim before writing, and writes nothing.
    await a.checkpointer.tick();
    expect((await file.read())?.token).toBe(6);
    expect(a.fenced).toHaveLength(2);
    await a.writer.close();
    await b?.writer.close();
  });

  it('keeps one claim file, named by the newest token, beside the checkpoint', async () => {
    const b = await holder(dir, 6, T0);
    await b.checkpointer.claim();
    const c = await holder(dir, 7, T0);
    await c.checkpointer.claim();
    expect(readdirSync(dir).filter((n) => n.includes('.token-'))).toEqual([
      'events.jsonl.checkpoint.token-7',
    ]);
    await b.writer.close();
    await c.writer.close();
  });

  it('starts from the newest claim when the checkpoint file was put back to an older token and nobody restored it', async () => {
    const claims = new CheckpointClaims(file);
    await claims.claim(6, checkpoint(6, T0 + 1000));
    await file.write(checkpoint(5, T0 + 5000)); // the old holder's late rename
    expect(await claims.read()).toEqual(checkpoint(6, T0 + 1000));
    expect(await claims.newestToken()).toBe(6);
  });
});
