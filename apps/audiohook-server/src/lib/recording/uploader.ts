// Where finished recordings go: LOG_ROOT_DIR (moved out of the process's work folder), or S3:
// multipart upload (lib-storage) with retries, then the local copy deleted, and only after
// success and only if the file did not change meanwhile. Files whose upload fails are moved to
// LOG_ROOT_DIR for a later sweep (recovery.ts).

import { createReadStream, type Stats } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import { basename } from 'node:path';
import { type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { ServerError, ServerErrorCode } from '../errors';
import type { AppLogger } from '../logging';
import type { RecordingFiles } from './session-recorder';

/** Where finished recordings go. */
export interface RecordingSink {
  /** `local` keeps files in LOG_ROOT_DIR; `s3` uploads them. */
  readonly kind: 'local' | 's3';
  /** Stores the files; resolves when they are safe (and, for S3, deleted locally). */
  store(files: RecordingFiles): Promise<void>;
}

/** Moves a file to where recordings wait (LOG_ROOT_DIR); returns its new path. */
export type KeepFile = (path: string) => Promise<string>;

/** Leaves a file where it is. */
const keepInPlace: KeepFile = (path) => Promise.resolve(path);

/** Keeps recordings in LOG_ROOT_DIR (no `RECORDING_S3_BUCKET`). */
export class LocalRecordingSink implements RecordingSink {
  readonly kind = 'local';
  readonly #keep: KeepFile;

  /** @param keep moves a finished file to LOG_ROOT_DIR (`RecordingFolders.finalize`). */
  constructor(keep: KeepFile = keepInPlace) {
    this.#keep = keep;
  }

  async store(files: RecordingFiles): Promise<void> {
    for (const path of files.paths) await this.#keep(path);
  }
}

export interface S3RecordingSinkOptions {
  readonly bucket: string;
  /** Prepended to every key, e.g. `recordings/`. @default '' */
  readonly prefix?: string;
  readonly client: S3Client;
  /** Attempts per file (first try included). @default 5 */
  readonly attempts?: number;
  /** First retry delay; doubles each time with ±25 % jitter. @default 500 */
  readonly retryBaseMs?: number;
  /** Multipart part size in bytes (≥ 5 MiB). @default 8 MiB */
  readonly partSizeBytes?: number;
  readonly logger: AppLogger;
  /** Where a file whose upload failed goes (`RecordingFolders.finalize`). @default left in place */
  readonly keepFailed?: KeepFile;
}

/** `YYYY-MM-DD/<file name>` with the recording's UTC start date, as the reference names keys. */
export function recordingKey(prefix: string, startedAt: Date, path: string): string {
  return `${prefix}${startedAt.toISOString().slice(0, 10)}/${basename(path)}`;
}

function contentType(path: string): string {
  return path.endsWith('.wav') ? 'audio/wav' : 'application/json';
}

/**
 * @example
 * ```ts
 * const sink = new S3RecordingSink({ bucket: 'rec', client: new S3Client({}), logger });
 * await sink.store(await recorder.finish());
 * ```
 */
export class S3RecordingSink implements RecordingSink {
  readonly kind = 's3';
  readonly #options: S3RecordingSinkOptions;
  readonly #attempts: number;
  readonly #retryBaseMs: number;
  readonly #partSize: number;
  #stopping = false;

  constructor(options: S3RecordingSinkOptions) {
    this.#options = options;
    this.#attempts = options.attempts ?? 5;
    this.#retryBaseMs = options.retryBaseMs ?? 500;
    this.#partSize = options.partSizeBytes ?? 8 * 1024 * 1024;
  }

  /** Makes pending retries give up early (at shutdown); files then stay for the next sweep. */
  stopRetrying(): void {
    this.#stopping = true;
  }

  async store(files: RecordingFiles): Promise<void> {
    // Upload the audio first: a sidecar in S3 should never point at audio that is not there.
    const ordered = [...files.paths].sort(
      (a, b) => Number(b.endsWith('.wav')) - Number(a.endsWith('.wav')),
    );
    const keep = this.#options.keepFailed ?? keepInPlace;
    for (const [index, path] of ordered.entries()) {
      try {
        const uploaded = await this.uploadFile(
          path,
          recordingKey(this.#options.prefix ?? '', files.startedAt, path),
        );
        await deleteUnchanged(path, uploaded);
      } catch (error) {
        // This file and the ones after it (the sidecar after a failed WAV) are kept together for a
        // later sweep: the sidecar is what dates the recording's keys then, and uploaded alone it
        // would point at audio that is not in S3. A file that cannot be moved stays where it is.
        for (const rest of ordered.slice(index)) await keep(rest).catch(() => undefined);
        throw error instanceof ServerError
          ? error
          : new ServerError(ServerErrorCode.UploadFailed, `upload of ${path} failed`, {
              cause: error,
            });
      }
    }
  }

  /** Uploads one file with retries; returns the file's status as it was uploaded. */
  async uploadFile(path: string, key: string): Promise<Stats> {
    const before = await freshStat(path);
    const { size } = before;
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.#attempts; attempt++) {
      try {
        const upload = new Upload({
          client: this.#options.client,
          params: {
            Bucket: this.#options.bucket,
            Key: key,
            Body: createReadStream(path),
            ContentType: contentType(path),
            ContentLength: size,
          },
          partSize: this.#partSize,
          queueSize: 2,
          leavePartsOnError: false,
        });
        await upload.done();
        this.#options.logger.info({ key, bytes: size, attempt }, 'recording file uploaded');
        return before;
      } catch (error) {
        lastError = error;
        this.#options.logger.warn(
          { key, attempt, err: error instanceof Error ? error.message : String(error) },
          'recording upload failed',
        );
        if (attempt === this.#attempts || this.#stopping) break;
        const delay = this.#retryBaseMs * 2 ** (attempt - 1) * (0.75 + Math.random() * 0.5);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
    throw new ServerError(
      ServerErrorCode.UploadFailed,
      `upload of ${basename(path)} to s3://${this.#options.bucket}/${key} failed; the file is kept for the next sweep`,
      { cause: lastError },
    );
  }
}

/**
 * Deletes an uploaded file, unless it changed since its upload began: then some process still
 * writes it (a recording recovered too early), and deleting it would lose what is written next.
 * It is kept instead, and a later sweep uploads it whole.
 */
async function deleteUnchanged(path: string, uploaded: Stats): Promise<void> {
  const now = await freshStat(path);
  if (now.size !== uploaded.size || now.mtimeMs !== uploaded.mtimeMs) {
    throw new ServerError(
      ServerErrorCode.UploadFailed,
      `${basename(path)} changed while it was uploaded (${uploaded.size} → ${now.size} bytes); it is kept for the next sweep`,
    );
  }
  await unlink(path);
}

/**
 * A file's status as its server has it: `fstat` of a newly opened file. On NFS (EFS) a path's
 * `stat` may answer from the client's attribute cache for seconds, missing another host's write;
 * an open revalidates them (close-to-open consistency).
 */
async function freshStat(path: string): Promise<Stats> {
  const handle = await open(path, 'r');
  try {
    return await handle.stat();
  } finally {
    await handle.close();
  }
}
