import { open } from 'node:fs/promises';

/** One record read back from the output. */
export interface TailRecord {
  /** `dedupe_key` of the record (also its Elasticsearch `_id`). */
  key: string;
  /** `received_at` as epoch ms. */
  receivedAt: number;
  record: Record<string, unknown>;
}

const CHUNK = 64 * 1024;

/**
 * Reads the newest records of the output back, newest file first (`<file>`, then `<file>.1`,
 * `<file>.2` …) and each file from its end, and returns those received at or after `since`,
 * oldest first. It stops at the first record received before `since` (lines are appended in
 * the order they were received; `since` should carry some slack for clocks of other instances),
 * or once `maxBytes` have been read. Blank, torn and foreign lines are skipped.
 *
 * @example
 * ```ts
 * const recent = await readOutputTail('/data/audiohook_events.jsonl', 5, Date.now() - 600_000);
 * pipeline.seedKeys(recent.map((r) => ({ key: r.key, at: r.receivedAt })));
 * ```
 */
export async function readOutputTail(
  file: string,
  backupCount: number,
  since: number,
  maxBytes = 256 * 1024 * 1024,
): Promise<TailRecord[]> {
  const newestFirst: TailRecord[] = [];
  let budget = maxBytes;
  for (let i = 0; i <= backupCount && budget > 0; i += 1) {
    const path = i === 0 ? file : `${file}.${i}`;
    const r = await readFileBackwards(path, since, budget, newestFirst);
    if (r.missing && i > 0) break;
    budget -= r.bytes;
    if (r.reachedOlder) break;
  }
  return newestFirst.reverse();
}

async function readFileBackwards(
  path: string,
  since: number,
  budget: number,
  out: TailRecord[],
): Promise<{ missing: boolean; bytes: number; reachedOlder: boolean }> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch {
    return { missing: true, bytes: 0, reachedOlder: false };
  }
  try {
    let pos = (await fh.stat()).size;
    let carry: Buffer = Buffer.alloc(0);
    let bytes = 0;
    while (pos > 0 && bytes < budget) {
      const len = Math.min(CHUNK, pos);
      pos -= len;
      const buf = Buffer.alloc(len);
      await fh.read(buf, 0, len, pos);
      bytes += len;
      const data = Buffer.concat([buf, carry]);
      // Everything after the first newline is whole lines; what precedes it may continue further back.
      let nl = data.indexOf(0x0a);
      if (nl < 0 && pos > 0) {
        carry = data;
        continue;
      }
      if (pos === 0) nl = -1;
      const lines = data
        .subarray(nl + 1)
        .toString('utf8')
        .split('\n');
      carry = nl < 0 ? Buffer.alloc(0) : data.subarray(0, nl);
      for (let j = lines.length - 1; j >= 0; j -= 1) {
        const rec = parseRecord(lines[j] ?? '');
        if (!rec) continue;
        if (rec.receivedAt < since) return { missing: false, bytes, reachedOlder: true };
        out.push(rec);
      }
    }
    return { missing: false, bytes, reachedOlder: false };
  } finally {
    await fh.close();
  }
}

/** One output line as a record with its key and receive time; `undefined` for anything else. */
export function parseRecord(line: string): TailRecord | undefined {
  if (line.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  const key = record['dedupe_key'];
  const received = record['received_at'];
  if (typeof key !== 'string' || typeof received !== 'string') return undefined;
  const receivedAt = Date.parse(received);
  if (!Number.isFinite(receivedAt)) return undefined;
  return { key, receivedAt, record };
}
