import { appendFile, mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { describeError } from '../errors';
import type { Metrics } from '../metrics';
import type { ElasticDoc } from './bulk-sink';

/** Size of a file in bytes; 0 when it does not exist or cannot be read. */
export async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/** The leading `lines` that fit under `max` bytes on top of `used`, and their size. */
export function fitLines(
  lines: readonly string[],
  used: number,
  max: number,
): { lines: string[]; bytes: number } {
  let bytes = 0;
  let n = 0;
  for (const line of lines) {
    const b = Buffer.byteLength(line);
    if (used + bytes + b > max) break;
    bytes += b;
    n += 1;
  }
  return { lines: lines.slice(0, n), bytes };
}

export interface DeadLetterOptions {
  file: string;
  /** `ELASTIC_DEAD_LETTER_MAX_BYTES`: rejected documents beyond it are only counted. */
  maxBytes: number;
  index: string;
  logger: Logger;
  metrics: Metrics;
  /**
   * Asked right before each append (the lease): false leaves the file untouched and the documents
   * are dropped, not counted as dead-lettered (the JSONL output still has them).
   */
  mayAppend?: () => Promise<boolean>;
}

/**
 * The dead-letter file: one JSON line per document Elasticsearch rejected permanently (4xx per
 * item, or a request answered 400/413), with status and error. Capped at `maxBytes`; documents
 * beyond the cap are counted (`elastic_dead_letter_dropped_total`) with one warning. The JSONL
 * output still holds every one of them.
 */
export class DeadLetterFile {
  readonly #o: DeadLetterOptions;
  #size = 0;
  #full = false;

  constructor(options: DeadLetterOptions) {
    this.#o = options;
  }

  /** Creates the folder and reads the current size. */
  async open(): Promise<void> {
    await mkdir(dirname(this.#o.file), { recursive: true });
    this.#size = await fileSize(this.#o.file);
  }

  /** The last write did not fit under the cap. */
  get full(): boolean {
    return this.#full;
  }

  async write(docs: readonly ElasticDoc[], status: number, error: unknown): Promise<void> {
    const o = this.#o;
    o.logger.error(
      { docs: docs.length, status, file: o.file },
      'Elasticsearch rejected document(s) permanently; written to the dead-letter file',
    );
    const failedAt = new Date().toISOString();
    const lines = docs.map(
      (d) =>
        `${JSON.stringify({ failed_at: failedAt, status, error, index: o.index, id: d.id, doc: d.source })}\n`,
    );
    const kept = fitLines(lines, this.#size, o.maxBytes);
    const dropped = lines.length - kept.lines.length;
    if (dropped > 0) {
      o.metrics.inc('elastic_dead_letter_dropped', dropped);
      if (!this.#full) {
        o.logger.warn(
          { file: o.file, maxBytes: o.maxBytes },
          'the dead-letter file is full (ELASTIC_DEAD_LETTER_MAX_BYTES); further rejected documents are only counted (the JSONL output has them)',
        );
      }
    }
    this.#full = dropped > 0;
    if (kept.lines.length === 0) return;
    if (o.mayAppend && !(await o.mayAppend())) return;
    try {
      await appendFile(o.file, kept.lines.join(''));
      this.#size += kept.bytes;
    } catch (err) {
      this.#size = await fileSize(o.file);
      o.logger.error({ err: describeError(err) }, 'cannot write the dead-letter file');
    } finally {
      // Counted once the write is done, so a reader of the counter finds the lines in the file.
      o.metrics.inc('elastic_dead_lettered', kept.lines.length);
    }
  }
}
