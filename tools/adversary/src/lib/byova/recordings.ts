// Checks the gateway's per-conversation caller recordings: the WAV parses with @org/audio and
// holds the decoded caller audio (16-bit PCM, two bytes per u-law byte sent).

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseWav } from '@org/audio';
import { eventually } from '../proc';

export interface CallerExpectation {
  readonly conversationId: string;
  /** u-law bytes the conversation's streams sent. */
  readonly ulawBytes: number;
  /**
   * `exact`: every stream was half-closed and answered, so every byte was read; `at-most`: a
   * stream was cancelled or dropped, so the gateway may not have read its last frames.
   */
  readonly match: 'exact' | 'at-most';
}

const NO_WAV = 'no caller WAV for';

async function callerWav(dir: string, id: string): Promise<string | undefined> {
  const name = (await readdir(dir)).find(
    (n) => n.startsWith(`${id}_`) && n.endsWith('_caller.wav'),
  );
  return name === undefined ? undefined : join(dir, name);
}

async function problemOf(dir: string, e: CallerExpectation): Promise<string | undefined> {
  const path = await callerWav(dir, e.conversationId);
  if (path === undefined) return `${NO_WAV} ${e.conversationId}`;
  try {
    const wav = parseWav(await readFile(path));
    const want = e.ulawBytes * 2;
    const got = wav.data.length;
    if (wav.format.encoding !== 'pcm16' || wav.format.sampleRate !== 8000) {
      return `${e.conversationId}: ${wav.format.encoding}/${wav.format.sampleRate}`;
    }
    if (e.match === 'exact' ? got !== want : got > want || got === 0) {
      return `${e.conversationId}: ${got} bytes, expected ${e.match === 'exact' ? '' : '1..'}${want}`;
    }
  } catch (error) {
    return `${e.conversationId}: ${error instanceof Error ? error.message : String(error)}`;
  }
  return undefined;
}

/** What the recordings of a set of calls look like after waiting for them. */
export interface CallerAudit {
  readonly intact: number;
  /** Calls without a caller WAV at all. */
  readonly missing: number;
  /** Calls whose WAV is there but wrong (does not parse, wrong format, wrong size). */
  readonly broken: number;
  readonly problems: readonly string[];
}

/** Waits up to `timeoutMs` for every recording to be complete, then counts. */
export async function auditCallerRecordings(
  dir: string,
  expectations: readonly CallerExpectation[],
  timeoutMs: number,
): Promise<CallerAudit> {
  let problems: string[] = [];
  await eventually(
    async () => {
      problems = [];
      for (const e of expectations) {
        const problem = await problemOf(dir, e);
        if (problem !== undefined) problems.push(problem);
      }
      return problems.length === 0;
    },
    timeoutMs,
    500,
  );
  const missing = problems.filter((p) => p.startsWith(NO_WAV)).length;
  return {
    intact: expectations.length - problems.length,
    missing,
    broken: problems.length - missing,
    problems,
  };
}

/** Waits up to `timeoutMs` for every recording to be complete, then reports. */
export async function verifyCallerRecordings(
  dir: string,
  expectations: readonly CallerExpectation[],
  timeoutMs: number,
): Promise<{ ok: boolean; text: string }> {
  const audit = await auditCallerRecordings(dir, expectations, timeoutMs);
  const text = `${audit.intact}/${expectations.length} caller recordings intact`;
  if (audit.problems.length === 0) return { ok: true, text };
  const more = audit.problems.length > 2 ? ` (+${audit.problems.length - 2} more)` : '';
  return { ok: false, text: `${text}; ${audit.problems.slice(0, 2).join(', ')}${more}` };
}
