// A RecoveryService on a folder, as the app builds it (its own work folder and heartbeat).

import { RecordingFolders } from '../../src/lib/recording/folders';
import { RecoveryService } from '../../src/lib/recording/recovery';
import { LocalRecordingSink, type RecordingSink } from '../../src/lib/recording/uploader';
import type { AppLogger } from '../../src/lib/logging';

export interface TestRecovery {
  readonly folders: RecordingFolders;
  readonly recovery: RecoveryService;
  close(): Promise<void>;
}

/** Opens a work folder in `root` and a recovery storing to `sink` (local when absent). */
export async function openRecovery(
  root: string,
  logger: AppLogger,
  sink?: (folders: RecordingFolders) => RecordingSink,
  options: {
    runId?: string;
    staleAfterMs?: number;
    now?: () => number;
    scanIntervalMs?: number;
  } = {},
): Promise<TestRecovery> {
  const folders = new RecordingFolders({
    root,
    instanceId: 'test',
    heartbeatMs: 60_000,
    staleAfterMs: options.staleAfterMs ?? 60_000,
    logger,
    ...(options.runId === undefined ? {} : { runId: options.runId }),
    ...(options.now === undefined ? {} : { now: options.now }),
    // A stale-looking heartbeat is read again at once: no test waits the 1.5 heartbeats.
    sleep: () => Promise.resolve(),
  });
  await folders.open();
  const recovery = new RecoveryService({
    folders,
    sink: sink?.(folders) ?? new LocalRecordingSink((path) => folders.finalize(path)),
    logger,
    scanIntervalMs: options.scanIntervalMs ?? 0,
  });
  return {
    folders,
    recovery,
    close: async () => {
      await recovery.stop();
      await folders.close();
    },
  };
}
