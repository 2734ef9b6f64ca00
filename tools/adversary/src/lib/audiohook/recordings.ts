// Checks what the AudioHook server wrote: for every accepted session, a finished sidecar and a WAV
// that parses with @org/audio and holds exactly the audio bytes the session sent; for every
// rejected session, nothing. Every sidecar is also checked for size and for secrets.

import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseWav } from '@org/audio';
import { eventually } from '../proc';
import { API_KEY, CLIENT_SECRET } from './client';

/** A sidecar may not grow past this, whatever the client sends (defect 3 of issue 15). */
export const SIDECAR_LIMIT_BYTES = 1024 * 1024;

interface Recording {
  readonly json: string;
  readonly wav: string;
  readonly sessionId: string;
  readonly sidecarBytes: number;
  readonly secretLeak: boolean;
}

/** Finished recordings of a folder, indexed by session id; finished sidecars are read once. */
export class RecordingIndex {
  readonly #bySession = new Map<string, Recording>();
  readonly #finished = new Set<string>();
  readonly #counts = new Map<string, number>();

  constructor(readonly dir: string) {}

  /** Reads sidecars that finished since the last scan. */
  async scan(): Promise<void> {
    for (const name of await readdir(this.dir)) {
      if (!name.endsWith('.json') || this.#finished.has(name)) continue;
      const path = join(this.dir, name);
      const text = await readFile(path, 'utf8').catch(() => '');
      let parsed: { body?: { type?: string; data?: unknown }[] };
      try {
        parsed = JSON.parse(text) as typeof parsed;
      } catch {
        continue; // still being written
      }
      const body = parsed.body ?? [];
      if (body.at(-1)?.type !== 'end') continue;
      this.#finished.add(name);
      const sessionId = sessionOf(body);
      if (sessionId === undefined) continue;
      this.#counts.set(sessionId, (this.#counts.get(sessionId) ?? 0) + 1);
      this.#bySession.set(sessionId, {
        json: path,
        wav: path.replace(/\.json$/, '.wav'),
        sessionId,
        sidecarBytes: Buffer.byteLength(text),
        secretLeak: text.includes(API_KEY) || text.includes(CLIENT_SECRET),
      });
    }
  }

  /** Finished recordings whose messages carry `sessionId`. */
  count(sessionId: string): number {
    return this.#counts.get(sessionId) ?? 0;
  }

  get(sessionId: string): Recording | undefined {
    return this.#bySession.get(sessionId);
  }

  /** Waits until every id in `sessionIds` has a finished recording (or `timeoutMs` passed). */
  async waitFor(sessionIds: readonly string[], timeoutMs: number): Promise<void> {
    await eventually(async () => {
      await this.scan();
      return sessionIds.every((id) => this.#bySession.has(id));
    }, timeoutMs);
  }
}

function sessionOf(body: readonly { type?: string; data?: unknown }[]): string | undefined {
  for (const entry of body) {
    if (entry.type !== 'audiohook') continue;
    const message = (entry.data as { message?: { type?: string; id?: string } } | undefined)
      ?.message;
    if (typeof message?.id === 'string') return message.id;
  }
  return undefined;
}

export interface Expectation {
  readonly sessionId: string;
  /** Audio bytes the session sent (that the server must have recorded); `undefined`: no recording. */
  readonly bytes: number | undefined;
}

/**
 * Verifies recordings against what the sessions sent. Returns the problems found (at most a few
 * described, then counted) and a one-line summary.
 */
export async function verifyRecordings(
  index: RecordingIndex,
  expectations: readonly Expectation[],
  timeoutMs: number,
): Promise<{ ok: boolean; text: string }> {
  const recorded = expectations.filter((e) => e.bytes !== undefined);
  await index.waitFor(
    recorded.map((e) => e.sessionId),
    timeoutMs,
  );
  // Rejected sessions must not leave files: give stragglers the same scan.
  await index.scan();
  const problems: string[] = [];
  let intact = 0;
  let largestSidecar = 0;
  for (const e of expectations) {
    const recording = index.get(e.sessionId);
    if (e.bytes === undefined) {
      if (recording !== undefined)
        problems.push(`rejected session ${short(e.sessionId)} was recorded`);
      continue;
    }
    if (recording === undefined) {
      problems.push(`no finished recording of ${short(e.sessionId)}`);
      continue;
    }
    largestSidecar = Math.max(largestSidecar, recording.sidecarBytes);
    const problem = await checkRecording(recording, e.bytes);
    if (problem === undefined) intact += 1;
    else problems.push(problem);
  }
  const text =
    `${intact}/${recorded.length} recordings intact` +
    (largestSidecar > 0 ? `, largest sidecar ${(largestSidecar / 1024).toFixed(0)} KB` : '');
  if (problems.length === 0) return { ok: true, text };
  const shown = problems.slice(0, 3).join(', ');
  const more = problems.length > 3 ? ` (+${problems.length - 3} more)` : '';
  return { ok: false, text: `${text}; ${shown}${more}` };
}

async function checkRecording(recording: Recording, bytes: number): Promise<string | undefined> {
  const id = short(recording.sessionId);
  if (recording.secretLeak) return `sidecar of ${id} contains the API key or secret`;
  if (recording.sidecarBytes > SIDECAR_LIMIT_BYTES) {
    return `sidecar of ${id} is ${(recording.sidecarBytes / 2 ** 20).toFixed(1)} MB`;
  }
  const data = await readFile(recording.wav).catch(() => undefined);
  if (data === undefined) return `no WAV for ${id}`;
  try {
    const wav = parseWav(data);
    const f = wav.format;
    if (f.encoding !== 'ulaw' || f.channels !== 2 || f.sampleRate !== 8000) {
      return `WAV of ${id} is ${f.encoding}/${f.channels}/${f.sampleRate}`;
    }
    if (wav.data.length !== bytes) {
      return `WAV of ${id} holds ${wav.data.length} of ${bytes} bytes sent`;
    }
  } catch (error) {
    return `WAV of ${id} does not parse: ${error instanceof Error ? error.message : String(error)}`;
  }
  return undefined;
}

/** Every sidecar in the folder: the largest size and whether any holds the key or secret. */
export async function auditSidecars(dir: string): Promise<{ largest: number; leaks: number }> {
  let largest = 0;
  let leaks = 0;
  for (const name of await readdir(dir)) {
    if (!name.endsWith('.json')) continue;
    const path = join(dir, name);
    largest = Math.max(largest, (await stat(path)).size);
    const text = await readFile(path, 'utf8');
    if (text.includes(API_KEY) || text.includes(CLIENT_SECRET)) leaks += 1;
  }
  return { largest, leaks };
}

function short(id: string): string {
  return id.slice(0, 8);
}
