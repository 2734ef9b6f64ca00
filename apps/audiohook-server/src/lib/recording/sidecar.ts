// The JSON sidecar of a recording (spec §17.4): one object
// `{"header":{"timestamp","id"},"body":[entries…]}` streamed entry by entry, so a crash loses at
// most the tail and `repairSidecar` can close what is left.

import { createWriteStream, type WriteStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';

/** Kinds of body entries the reference writes. */
export type SidecarEntryType = 'httpInfo' | 'audiohook' | 'logger' | 'statistics' | 'end';

/** One body entry as written. */
export interface SidecarEntry {
  /** Time since the recording started, as a `PT…S` duration. */
  readonly timestamp: string;
  readonly type: SidecarEntryType;
  readonly data: unknown;
}

/** The header of a sidecar. */
export interface SidecarHeader {
  /** ISO 8601 start time. */
  readonly timestamp: string;
  /** The recording id (not the session id). */
  readonly id: string;
}

/** Formats nanoseconds as a fixed-point `PT…S` duration (never exponent notation). */
export function formatElapsed(nanoseconds: bigint): string {
  const whole = nanoseconds / 1_000_000_000n;
  const fraction = (nanoseconds % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return fraction === '' ? `PT${whole}S` : `PT${whole}.${fraction}S`;
}

/**
 * Streams a sidecar to disk.
 *
 * @example
 * ```ts
 * const sidecar = SidecarWriter.create('/rec/x.json', { timestamp: new Date().toISOString(), id });
 * sidecar.append('statistics', { rtt: 'PT0.01S' });
 * await sidecar.close();
 * ```
 */
export class SidecarWriter {
  readonly #stream: WriteStream;
  readonly #startedAt: bigint;
  readonly #flushBytes: number;
  readonly #flushMs: number;
  #first = true;
  #closed = false;
  #closing: Promise<void> | undefined;
  #error: Error | undefined;
  // Entries are collected and written in batches: one small write per ping would cost a
  // thread-pool round trip each at thousands of sessions.
  #pending = '';
  #timer: NodeJS.Timeout | undefined;

  private constructor(stream: WriteStream, startedAt: bigint, flushBytes: number, flushMs: number) {
    this.#stream = stream;
    this.#startedAt = startedAt;
    this.#flushBytes = flushBytes;
    this.#flushMs = flushMs;
    stream.on('error', (error) => {
      this.#error = error;
    });
  }

  /**
   * Creates (truncates) `path` and writes the header. `startedAt` is a `process.hrtime.bigint()`
   * reading that entry timestamps count from.
   */
  static create(
    path: string,
    header: SidecarHeader,
    startedAt: bigint,
    options: { readonly flushBytes?: number; readonly flushMs?: number } = {},
  ): SidecarWriter {
    const stream = createWriteStream(path, { flags: 'w' });
    const writer = new SidecarWriter(
      stream,
      startedAt,
      options.flushBytes ?? 8192,
      options.flushMs ?? 1000,
    );
    stream.write(`{"header":${JSON.stringify(header)},"body":[\n`);
    return writer;
  }

  /** Bytes queued in memory, for back-pressure. */
  get bufferedBytes(): number {
    return this.#stream.writableLength + this.#pending.length;
  }

  /** The first write error, if any. */
  get error(): Error | undefined {
    return this.#error;
  }

  /** Appends one entry stamped with the time since the start (or `at`, an hrtime reading). */
  append(type: SidecarEntryType, data: unknown, at: bigint = process.hrtime.bigint()): void {
    if (this.#closed) return;
    const elapsed = at > this.#startedAt ? at - this.#startedAt : 0n;
    const entry: SidecarEntry = { timestamp: formatElapsed(elapsed), type, data };
    this.#pending += `${this.#first ? '' : ',\n'}${JSON.stringify(entry)}`;
    this.#first = false;
    if (this.#pending.length >= this.#flushBytes) this.flush();
    else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => this.flush(), this.#flushMs);
      this.#timer.unref();
    }
  }

  /** Hands collected entries to the file now. */
  flush(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending === '') return;
    this.#stream.write(this.#pending);
    this.#pending = '';
  }

  /** Resolves once the in-memory queue has been handed to the file. */
  drained(): Promise<void> {
    // Once closing, the queue empties when the file is closed.
    if (this.#closing !== undefined) return this.#closing.catch(() => undefined);
    this.flush();
    if (this.#stream.writableLength === 0) return Promise.resolve();
    // 'drain' fires only after a write that overflowed the stream's buffer, so it may never come
    // (e.g. while the file is still being opened). An empty write's callback runs once every
    // earlier write has been flushed.
    return new Promise((resolve) => this.#stream.write('', () => resolve()));
  }

  /** Writes the `end` entry, closes the array and the object, and closes the file. */
  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    this.append('end', {});
    this.flush();
    this.#closed = true;
    this.#closing = new Promise((resolve, reject) => {
      this.#stream.end('\n]}\n', () => {
        if (this.#error !== undefined) reject(this.#error);
        else resolve();
      });
    });
    return this.#closing;
  }
}

/**
 * Makes a sidecar left by a crashed process valid JSON again: drops a partial last entry, adds
 * an `end` entry and closes the body. Returns false when the file was already complete.
 */
export async function repairSidecar(path: string): Promise<boolean> {
  const text = await readFile(path, 'utf8');
  try {
    JSON.parse(text);
    return false;
  } catch {
    // fall through: incomplete
  }
  const lines = text.split('\n');
  const head = lines.shift() ?? '';
  if (!head.startsWith('{"header":') || !head.endsWith('"body":[')) {
    throw new Error(`${path} does not start with a sidecar header`);
  }
  const entries: string[] = [];
  let timestamp = 'PT0S';
  for (const raw of lines) {
    const line = raw.endsWith(',') ? raw.slice(0, -1) : raw;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      break;
    }
    entries.push(line);
    const stamp = (parsed as { timestamp?: unknown } | null)?.timestamp;
    if (typeof stamp === 'string') timestamp = stamp;
  }
  entries.push(JSON.stringify({ timestamp, type: 'end', data: { repaired: true } }));
  await writeFile(path, `${head}\n${entries.join(',\n')}\n]}\n`);
  return true;
}
