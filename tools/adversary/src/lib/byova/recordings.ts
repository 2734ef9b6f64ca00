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

async function callerWav(dir: string, id: string): Promise<string | undefined> {
  const name = (await readdir(dir)).find(
    (n) => n.startsWith(`${id}_`) && n.endsWith('_caller.wav'),
  );
  return name === undefined ? undefined : join(dir, name);
}

async function problemOf(dir: string, e: CallerExpectation): Promise<string | undefined> {
  const path = await callerWav(dir, e.conversationId);
  if (path === undefined) return `no caller WAV for ${e.conversationId}`;
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

/** Waits up to `timeoutMs` for every recording to be complete, then reports. */
export async function verifyCallerRecordings(
  dir: string,
  expectations: readonly CallerExpectation[],
  timeoutMs: number,
): Promise<{ ok: boolean; text: string }> {
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
  const intact = expectations.length - problems.length;
  const text = `${intact}/${expectations.length} caller recordings intact`;
  if (problems.length === 0) return { ok: true, text };
  const more = problems.length > 2 ? ` (+${problems.length - 2} more)` : '';
  return { ok: false, text: `${text}; ${problems.slice(0, 2).join(', ')}${more}` };
}
