// The JSON sidecar of a recording (spec §17.4): one object
// `{"header":{"timestamp","id"},"body":[entries…]}` streamed entry by entry, so a crash loses at
// most the tail and `repairSidecar` can close what is left.
//
// Written with few large writes through the recording I/O (recording-io.ts): the header goes out
// together with whatever was logged before the file was created, later entries are collected and
// written at most once a second by one timer shared by every sidecar of the process (or once
// 8 KiB are collected), and the `end` entry and the closing brackets go out with the last batch,
// followed by the close. Writes are queued without waiting for the previous one; the I/O keeps
// their order.

import { readFile, writeFile } from 'node:fs/promises';
import { defaultRecordingIo, type RecordingFile, type RecordingIo } from './recording-io';

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
  /** Where the file is written. @default {@link defaultRecordingIo} */
  readonly io?: RecordingIo;
}

/** Default of {@link SidecarWriterOptions.maxBytes}. */
export const SIDECAR_MAX_BYTES = 4 * 1024 * 1024;

/**
 * One interval per flush period for every sidecar of the process, instead of a timer per sidecar
 * per batch: it runs only while some sidecar holds unwritten entries.
 */
class FlushTicker {
  readonly #periodMs: number;
  readonly #due = new Set<SidecarWriter>();
  #timer: NodeJS.Timeout | undefined;

  constructor(periodMs: number) {
    this.#periodMs = periodMs;
  }

  add(writer: SidecarWriter): void {
    this.#due.add(writer);
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.#tick(), this.#periodMs);
    this.#timer.unref();
  }

  delete(writer: SidecarWriter): void {
    this.#due.delete(writer);
  }

  #tick(): void {
    if (this.#due.size === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
      return;
    }
    const due = [...this.#due];
    this.#due.clear();
    for (const writer of due) writer.flush();
  }
}

const tickers = new Map<number, FlushTicker>();

function tickerFor(periodMs: number): FlushTicker {
  let ticker = tickers.get(periodMs);
  if (ticker === undefined) {
    ticker = new FlushTicker(periodMs);
    tickers.set(periodMs, ticker);
  }
  return ticker;
}

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
  readonly #startedAt: bigint;
  readonly #flushBytes: number;
  readonly #maxBytes: number;
  readonly #ticker: FlushTicker;
  readonly #file: RecordingFile;
  /** Body bytes so far (the `end` entry excluded). */
  #bytes = 0;
  #full = false;
  readonly #omitted: Partial<Record<SidecarEntryType, number>> = {};
  #first = true;
  #closed = false;
  #closing: Promise<void> | undefined;
  #error: Error | undefined;
  /** Text not yet handed to the file. */
  #pending: string;
  /** Characters handed to the file and not yet written. */
  #writing = 0;
  /** The last write handed to the file (settles after every earlier one). */
  #lastWrite: Promise<void> = Promise.resolve();

  private constructor(
    file: RecordingFile,
    header: string,
    startedAt: bigint,
    options: SidecarWriterOptions,
  ) {
    this.#file = file;
    this.#pending = header;
    this.#startedAt = startedAt;
    this.#flushBytes = options.flushBytes ?? 8192;
    this.#maxBytes = options.maxBytes ?? SIDECAR_MAX_BYTES;
    this.#ticker = tickerFor(options.flushMs ?? 1000);
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
    const file = (options.io ?? defaultRecordingIo()).open(path);
    const writer = new SidecarWriter(
      file,
      `{"header":${JSON.stringify(header)},"body":[\n`,
      startedAt,
      options,
    );
    // The header goes out at once (a crash must leave a repairable file), together with the
    // entries the caller appends in the same turn (those logged before the session committed).
    queueMicrotask(() => writer.flush());
    return writer;
  }

  /** Bytes queued in memory, for back-pressure. */
  get bufferedBytes(): number {
    return this.#writing + this.#pending.length;
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
    else this.#ticker.add(this);
  }

  #omit(type: SidecarEntryType): void {
    this.#omitted[type] = (this.#omitted[type] ?? 0) + 1;
  }

  /** Hands collected entries to the file now. */
  flush(): void {
    const text = this.#pending;
    if (text === '' || this.#error !== undefined) {
      this.#pending = '';
      return;
    }
    this.#pending = '';
    this.#writing += text.length;
    this.#lastWrite = this.#file.write(text).then(
      () => {
        this.#writing -= text.length;
      },
      (error: unknown) => {
        this.#writing -= text.length;
        this.#error ??= error instanceof Error ? error : new Error(String(error));
      },
    );
  }

  /** Resolves once the in-memory queue has been handed to the file and written. */
  drained(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing.catch(() => undefined);
    this.flush();
    return this.#lastWrite;
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
    this.#pending += '\n]}\n';
    this.#closed = true;
    this.#ticker.delete(this);
    this.flush();
    const written = this.#lastWrite;
    const closed = this.#file.close();
    this.#closing = (async () => {
      await written;
      try {
        await closed;
      } catch (error) {
        this.#error ??= error instanceof Error ? error : new Error(String(error));
      }
      if (this.#error !== undefined) throw this.#error;
    })();
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
