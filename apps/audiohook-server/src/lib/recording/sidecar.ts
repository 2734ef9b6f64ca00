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

/** Options of {@link SidecarWriter.create}. */
export interface SidecarWriterOptions {
  /** Entries are collected until this many bytes, then written. @default 8192 */
  readonly flushBytes?: number;
  /** Collected entries are written at the latest after this long. @default 1000 */
  readonly flushMs?: number;
  /**
   * Most body bytes; once an entry does not fit, it and every later one (but `end`) is dropped
   * and counted in the `end` entry's `entriesOmitted`. @default 4194304 (4 MiB)
   */
  readonly maxBytes?: number;
}

/** Default of {@link SidecarWriterOptions.maxBytes}. */
export const SIDECAR_MAX_BYTES = 4 * 1024 * 1024;

/**
 * Streams a sidecar to disk, bounded in size: a client cannot grow it without limit.
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
  readonly #maxBytes: number;
  /** Body bytes so far (the `end` entry excluded). */
  #bytes = 0;
  #full = false;
  readonly #omitted: Partial<Record<SidecarEntryType, number>> = {};
  #first = true;
  #closed = false;
  #closing: Promise<void> | undefined;
  #error: Error | undefined;
  // Entries are collected and written in batches: one small write per ping would cost a
  // thread-pool round trip each at thousands of sessions.
  #pending = '';
  #timer: NodeJS.Timeout | undefined;

  private constructor(stream: WriteStream, startedAt: bigint, options: SidecarWriterOptions) {
    this.#stream = stream;
    this.#startedAt = startedAt;
    this.#flushBytes = options.flushBytes ?? 8192;
    this.#flushMs = options.flushMs ?? 1000;
    this.#maxBytes = options.maxBytes ?? SIDECAR_MAX_BYTES;
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
    options: SidecarWriterOptions = {},
  ): SidecarWriter {
    const stream = createWriteStream(path, { flags: 'w' });
    const writer = new SidecarWriter(stream, startedAt, options);
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

  /** Entries dropped by the size limit so far, by type. */
  get omitted(): Readonly<Partial<Record<SidecarEntryType, number>>> {
    return this.#omitted;
  }

  /**
   * Appends one entry stamped with the time since the start (or `at`, an hrtime reading). Past
   * `maxBytes` the entry is only counted (see {@link SidecarWriterOptions.maxBytes}).
   */
  append(type: SidecarEntryType, data: unknown, at: bigint = process.hrtime.bigint()): void {
    if (this.#closed) return;
    if (this.#full) {
      this.#omit(type);
      return;
    }
    const elapsed = at > this.#startedAt ? at - this.#startedAt : 0n;
    const entry: SidecarEntry = { timestamp: formatElapsed(elapsed), type, data };
    const text = `${this.#first ? '' : ',\n'}${JSON.stringify(entry)}`;
    // Characters, not UTF-8 bytes: close enough for a limit, and no extra pass over the text.
    if (type !== 'end' && this.#bytes + text.length > this.#maxBytes) {
      this.#full = true;
      this.#omit(type);
      return;
    }
    this.#bytes += text.length;
    this.#pending += text;
    this.#first = false;
    if (this.#pending.length >= this.#flushBytes) this.flush();
    else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => this.flush(), this.#flushMs);
      this.#timer.unref();
    }
  }

  #omit(type: SidecarEntryType): void {
    this.#omitted[type] = (this.#omitted[type] ?? 0) + 1;
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

  /**
   * Writes the `end` entry (`summary` plus `entriesOmitted` when the size limit dropped any),
   * closes the array and the object, and closes the file.
   */
  close(summary: Readonly<Record<string, unknown>> = {}): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    const omitted = Object.keys(this.#omitted).length > 0;
    this.#full = false;
    this.append('end', omitted ? { ...summary, entriesOmitted: { ...this.#omitted } } : summary);
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
