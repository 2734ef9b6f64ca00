import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { JsonlWriter } from '../src/lib/jsonl-writer';
import { DynamoLease } from '../src/lib/lease';
import { LocalDynamo } from './dynamo';

const TABLE = 'event-collector-lease';
const KEY = 'event-collector/lease/takeover';
const silent = pino({ level: 'silent' });

function lease(dynamo: LocalDynamo, owner: string) {
  const clock = { now: 0 };
  const announced: number[] = [];
  const l = new DynamoLease({
    client: dynamo.client,
    table: TABLE,
    key: KEY,
    owner,
    durationMs: 10_000,
    renewEveryMs: 3000,
    pollEveryMs: 1000,
    now: () => clock.now,
    logger: silent,
    onAcquired: (a) => announced.push(a.token),
    onLost: () => undefined,
  });
  return { l, clock, announced };
}

describe('taking over from a holder whose write is still landing (dynalite, two instances)', () => {
  let dynamo: LocalDynamo;
  let dir: string;
  beforeAll(async () => {
    dynamo = await LocalDynamo.start();
    await dynamo.createTable(TABLE).catch(() => undefined);
  });
  afterAll(async () => {
    await dynamo.stop();
  });
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'takeover-fencing-'));
    await dynamo.client
      .send(new DeleteItemCommand({ TableName: TABLE, Key: { pk: { S: KEY } } }))
      .catch(() => undefined);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("the new holder touches the output only after the old holder's grace period, so it never cuts or interleaves with a write the old holder had checked", async () => {
    const file = join(dir, 'audiohook_events.jsonl');
    const a = lease(dynamo, 'a');
    const b = lease(dynamo, 'b');
    await a.l.step();
    await b.l.step(); // b watches (token 1, beat 0)
    let bWriter: JsonlWriter | undefined;
    /** b collects as soon as its lease is announced (as Leadership does). */
    const bCollects = async (): Promise<void> => {
      if (bWriter || b.announced.length === 0) return;
      bWriter = new JsonlWriter({
        file,
        maxFileSize: 1 << 20,
        backupCount: 2,
        queueMax: 10,
        logger: silent,
        mayWrite: () => b.l.holds(),
      });
      await bWriter.open();
    };
    const handles: FileHandle[] = [];
    let writes = 0;
    const aWriter = new JsonlWriter({
      file,
      maxFileSize: 1 << 20,
      backupCount: 2,
      queueMax: 10,
      logger: silent,
      mayWrite: () => a.l.holds(),
      openFile: async (path, flags) => {
        const fh = await open(path, flags);
        handles.push(fh);
        return new Proxy(fh, {
          get(target, prop) {
            if (prop === 'write') {
              return async (buf: Buffer, off: number, len: number) => {
                writes += 1;
                if (writes !== 2) return target.write(buf, off, len);
                // a's second write passed its check; half of it lands, then a stalls (EFS)
                // while its lease runs out and b takes over and may start collecting.
                const half = Math.floor(len / 2);
                await target.write(buf, off, half);
                a.clock.now += 9000;
                b.clock.now += 10_000;
                await b.l.step();
                expect(await dynamo.item(TABLE, KEY)).toMatchObject({ owner: 'b', token: '2' });
                await bCollects();
                await target.write(buf, off + half, len - half);
                return { bytesWritten: len, buffer: buf };
              };
            }
            const v: unknown = Reflect.get(target, prop, target);
            return typeof v === 'function' ? (v as (...x: unknown[]) => unknown).bind(target) : v;
          },
        });
      },
    });
    try {
      await aWriter.open();
      aWriter.enqueue(JSON.stringify({ src: 'a', n: 0 }));
      await aWriter.flush();
      aWriter.enqueue(JSON.stringify({ src: 'a', n: 1, pad: 'x'.repeat(100) }));
      await aWriter.flush();
      aWriter.enqueue(JSON.stringify({ src: 'a', n: 2 })); // refused: a's lease ran out
      await aWriter.flush();
      expect(aWriter.fenced).toBe(true);
      await aWriter.abandon();
      // b renews through the grace period and collects after it.
      for (let i = 0; i < 4 && !bWriter; i += 1) {
        b.clock.now += 3000;
        await b.l.step();
        await bCollects();
      }
      bWriter?.enqueue(JSON.stringify({ src: 'b', n: 0 }));
      await bWriter?.close();
    } finally {
      for (const fh of handles) await fh.close().catch(() => undefined);
    }
    expect(existsSync(`${file}.torn`)).toBe(false);
    const text = readFileSync(file, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const records = text
      .slice(0, -1)
      .split('\n')
      .map((l) => JSON.parse(l) as { src: string; n: number });
    expect(records.map((r) => `${r.src}${r.n}`)).toEqual(['a0', 'a1', 'b0']);
  });
});
