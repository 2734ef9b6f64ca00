// Builds recording storage from the configuration: this process's folders (work folder and
// heartbeat), where finished recordings go (LOG_ROOT_DIR or S3), the recovery of leftovers and
// dead instances' recordings, and what every session's recorder shares.

import { mkdir } from 'node:fs/promises';
import { S3Client } from '@aws-sdk/client-s3';
import { awsSdkLogger } from '@org/service-kit';
import type { ServerConfig } from '../../config';
import type { AppLogger } from '../logging';
import type { RecordingEnvironment } from '../session-wiring';
import { ChunkPool } from './chunk-pool';
import { RecordingFolders, type FolderEnvironment } from './folders';
import { WorkerIo } from './recording-io';
import { RecoveryService, type SweepOptions, type SweepResult } from './recovery';
import type { OpenWav } from './session-recorder';
import { LocalRecordingSink, S3RecordingSink, type RecordingSink } from './uploader';

/**
 * Bytes of written audio chunks kept for reuse (512 chunks at the default 16 KiB). Chunks are in
 * flight for a batch window (`RECORDING_IO_BATCH_MS`, 50 ms) plus the worker's time, so at 5,000
 * sessions about 250 return at once; a pool smaller than that would let go of arenas it has to
 * create again a moment later.
 */
const CHUNK_POOL_MAX_FREE_BYTES = 8 * 1_048_576;

/**
 * How often the chunk pool lets go of the arenas no session needed since the last time. Long
 * enough that a server whose writes come back late now and then keeps the memory for it rather
 * than paying for new memory at every burst (see chunk-pool.ts).
 */
const CHUNK_POOL_TRIM_MS = 30_000;

/** Size of one arena of the chunk pool (64 chunks at the default 16 KiB); see chunk-pool.ts. */
const CHUNK_ARENA_BYTES = 1_048_576;

export interface StorageOverrides {
  readonly s3Client?: S3Client;
  /** Creates recording WAV writers (tests use a slow one to exercise back-pressure). */
  readonly openWav?: OpenWav;
  /** The work folder's clock and process identity (tests). @default this machine's */
  readonly folders?: FolderEnvironment;
}

/** Recording storage of one process. */
export interface RecordingStorage {
  readonly folders: RecordingFolders;
  readonly sink: RecordingSink;
  readonly recovery: RecoveryService;
  /** What sessions' recorders share (their directory is this process's work folder). */
  readonly environment: RecordingEnvironment;
  /** Creates the folders and starts the heartbeat. */
  open(): Promise<void>;
  /** A sweep (see {@link RecoveryService.sweep}). */
  sweep(options?: SweepOptions): Promise<SweepResult>;
  /** Cuts upload retries short (at shutdown; the files then wait in LOG_ROOT_DIR). */
  stopRetrying(): void;
  /** Stops recovery and the heartbeat, removes the work folder, releases the S3 client. */
  close(): Promise<void>;
}

function s3Sink(
  config: ServerConfig,
  logger: AppLogger,
  folders: RecordingFolders,
  overrides: StorageOverrides,
): { sink: S3RecordingSink; client: S3Client } | undefined {
  const s3 = config.s3;
  if (s3 === undefined) return undefined;
  const checksum = s3.checksums === 'when_required' ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED';
  const client =
    overrides.s3Client ??
    new S3Client({
      region: s3.region,
      forcePathStyle: s3.forcePathStyle,
      requestChecksumCalculation: checksum,
      responseChecksumValidation: checksum,
      logger: awsSdkLogger(logger, 'S3'),
      ...(s3.endpoint === undefined ? {} : { endpoint: s3.endpoint }),
    });
  const sink = new S3RecordingSink({
    bucket: s3.bucket,
    prefix: s3.prefix,
    client,
    attempts: s3.attempts,
    retryBaseMs: s3.retryBaseMs,
    partSizeBytes: s3.partSizeBytes,
    logger: logger.child({ component: 'uploader' }),
    keepFailed: (path) => folders.finalize(path),
  });
  return { sink, client };
}

/**
 * @example
 * ```ts
 * const storage = createRecordingStorage(config, logger);
 * await storage.open();
 * void storage.sweep({ root: true }); // leftovers, in the background
 * ```
 */
export function createRecordingStorage(
  config: ServerConfig,
  logger: AppLogger,
  overrides: StorageOverrides = {},
): RecordingStorage {
  const { recording } = config;
  const io = new WorkerIo({
    threads: recording.io.threads,
    batchMs: recording.io.batchMs,
    onWorkerError: (error) =>
      logger.error({ err: error.message }, 'recording I/O worker died; a new one takes over'),
  });
  const folders = new RecordingFolders({
    io,
    root: recording.directory,
    instanceId: recording.ownership.instanceId,
    heartbeatMs: recording.ownership.heartbeatMs,
    staleAfterMs: recording.ownership.staleAfterMs,
    logger: logger.child({ component: 'recording-folders' }),
    ...overrides.folders,
  });
  const s3 = s3Sink(config, logger, folders, overrides);
  const sink: RecordingSink = s3?.sink ?? new LocalRecordingSink((path) => folders.finalize(path));
  const recovery = new RecoveryService({
    folders,
    sink,
    logger: logger.child({ component: 'recovery' }),
    scanIntervalMs: recording.ownership.scanIntervalMs,
  });
  // Chunks in flight at once: about one per disk write under way.
  const chunkPool =
    recording.flushBytes === 0
      ? undefined
      : new ChunkPool({
          chunkBytes: recording.flushBytes,
          maxFree: Math.max(64, Math.floor(CHUNK_POOL_MAX_FREE_BYTES / recording.flushBytes)),
          arenaChunks: Math.max(1, Math.floor(CHUNK_ARENA_BYTES / recording.flushBytes)),
          // Writes from an arena then name it rather than send it to the worker.
          onArena: (arena) => io.share(arena),
          onArenaReleased: (arena) => io.unshare(arena),
        });
  let trimTimer: NodeJS.Timeout | undefined;
  const environment: RecordingEnvironment = {
    directory: folders.work,
    headerUpdate: recording.headerUpdate,
    flushBytes: recording.flushBytes,
    sidecarMaxPings: recording.sidecarMaxPings,
    sidecarMaxBytes: recording.sidecarMaxBytes,
    ...(chunkPool === undefined ? {} : { chunkPool }),
    maxBufferedBytes: recording.maxBufferedBytes,
    sink,
    io,
    ...(overrides.openWav === undefined ? {} : { openWav: overrides.openWav }),
  };
  return {
    folders,
    sink,
    recovery,
    environment,
    open: async () => {
      await mkdir(recording.directory, { recursive: true });
      await folders.open();
      io.start();
      if (chunkPool !== undefined && trimTimer === undefined) {
        trimTimer = setInterval(() => chunkPool.trim(), CHUNK_POOL_TRIM_MS).unref();
      }
    },
    sweep: (options) => recovery.sweep(options),
    stopRetrying: () => s3?.sink.stopRetrying(),
    close: async () => {
      clearInterval(trimTimer);
      trimTimer = undefined;
      await recovery.stop();
      await io.close();
      await folders.close();
      if (overrides.s3Client === undefined) s3?.client.destroy();
    },
  };
}
