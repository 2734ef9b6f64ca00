// Checks what the AudioHook server wrote: for every accepted session, a finished sidecar and a WAV
// that parses with @org/audio and holds exactly the audio bytes the session sent; for every
// rejected session, nothing. Every sidecar is also checked for size and for secrets.

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseWav } from '@org/audio';
import { eventually } from '../proc';
import { API_KEY, CLIENT_SECRET } from './client';

/**
 * A sidecar may not grow past the server's RECORDING_SIDECAR_MAX_BYTES (default 4 MiB) plus its
 * `end` entry, whatever the client sends (defect 3 of issue 15).
 */
export const SIDECAR_LIMIT_BYTES = 4 * 1024 * 1024 + 64 * 1024;
/** Pings past the first 1,000 are only counted (≈ 400 KB of sidecar): a ping storm stays under this. */
export const PING_STORM_SIDECAR_LIMIT_BYTES = 1024 * 1024;

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
  sidecarLimit = SIDECAR_LIMIT_BYTES,
): Promise<{ ok: boolean; text: string }> {
  const recorded = expectations.filter((e) => e.bytes !== undefined);
  await index.waitFor(
    recorded.map((e) => e.sessionId),
    timeoutMs,
  );
  // Rejected sessions must not leave files: give stragglers the same scan.
  await index.scan();
  const problems = new Problems();
  let intact = 0;
  let largestSidecar = 0;
  for (const e of expectations) {
    const recording = index.get(e.sessionId);
    if (e.bytes === undefined) {
      if (recording !== undefined) problems.add('rejected sessions recorded', short(e.sessionId));
      continue;
    }
    if (recording === undefined) {
      problems.add('sessions without a finished recording', short(e.sessionId));
      continue;
    }
    largestSidecar = Math.max(largestSidecar, recording.sidecarBytes);
    if (await checkRecording(recording, e.bytes, sidecarLimit, problems)) intact += 1;
  }
  const text =
    `${intact}/${recorded.length} recordings intact` +
    (largestSidecar > 0 ? `, largest sidecar ${(largestSidecar / 1024).toFixed(0)} KB` : '');
  return problems.empty ? { ok: true, text } : { ok: false, text: `${text}; ${problems.text()}` };
}

/** Problems counted by kind, with the first example of each. */
class Problems {
  readonly #kinds = new Map<string, { count: number; example: string }>();

  add(kind: string, example: string): void {
    const entry = this.#kinds.get(kind) ?? { count: 0, example };
    entry.count += 1;
    this.#kinds.set(kind, entry);
  }

  get empty(): boolean {
    return this.#kinds.size === 0;
  }

  text(): string {
    return [...this.#kinds].map(([kind, e]) => `${e.count} ${kind} (e.g. ${e.example})`).join('; ');
  }
}

/** Checks one recording; records every problem found; true when there is none. */
async function checkRecording(
  recording: Recording,
  bytes: number,
  sidecarLimit: number,
  problems: Problems,
): Promise<boolean> {
  const id = short(recording.sessionId);
  let ok = true;
  const problem = (kind: string, example: string): void => {
    ok = false;
    problems.add(kind, example);
  };
  if (recording.secretLeak) problem('sidecars holding the API key or secret', id);
  if (recording.sidecarBytes > sidecarLimit) {
    const limit = `${(sidecarLimit / 2 ** 20).toFixed(1)} MB`;
    problem(`sidecars over ${limit}`, `${id}: ${(recording.sidecarBytes / 2 ** 20).toFixed(1)} MB`);
  }
  const data = await readFile(recording.wav).catch(() => undefined);
  if (data === undefined) {
    problem('recordings without a WAV', id);
    return false;
  }
  try {
    const wav = parseWav(data);
    const f = wav.format;
    if (f.encoding !== 'ulaw' || f.channels !== 2 || f.sampleRate !== 8000) {
      problem('WAVs in another format', `${id}: ${f.encoding}/${f.channels}/${f.sampleRate}`);
    } else if (wav.data.length !== bytes) {
      problem('WAVs not holding the bytes sent', `${id}: ${wav.data.length} of ${bytes}`);
    }
  } catch (error) {
    problem(
      'WAVs that do not parse',
      `${id}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return ok;
}

function short(id: string): string {
  return id.slice(0, 8);
}
