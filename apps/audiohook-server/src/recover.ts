// `main.js recover [--force <run id>]...`: one recovery sweep without serving, for operators.
// It adopts the work folders of dead instances (and of the named runs, whatever their
// heartbeat), repairs and stores their recordings, stores what waits in LOG_ROOT_DIR, and exits.

import { parseArgs } from 'node:util';
import { ConfigError, type ServerConfig } from './config';
import type { AppLogger } from './lib/logging';
import type { SweepResult } from './lib/recording/recovery';
import { createRecordingStorage } from './lib/recording/storage';

/** The run ids given with `--force`. @throws ConfigError for unknown arguments. */
export function parseRecoverArgs(argv: readonly string[]): { force: string[] } {
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: { force: { type: 'string', multiple: true } },
      strict: true,
      allowPositionals: false,
    });
    return { force: values.force ?? [] };
  } catch (error) {
    throw new ConfigError([
      {
        variable: 'recover',
        reason: `${error instanceof Error ? error.message : String(error)} (usage: recover [--force <run id>]...)`,
      },
    ]);
  }
}

/**
 * Runs one sweep and returns what it did.
 *
 * @example
 * ```ts
 * const result = await runRecovery(loadConfig(process.env), { force: [] }, logger);
 * ```
 */
export async function runRecovery(
  config: ServerConfig,
  options: { readonly force: readonly string[] },
  logger: AppLogger,
): Promise<SweepResult> {
  if (!config.recording.enabled) {
    throw new ConfigError([
      { variable: 'RECORDING_ENABLED', reason: 'is false: there is nothing to recover' },
    ]);
  }
  const storage = createRecordingStorage(config, logger);
  await storage.open();
  try {
    return await storage.sweep({ root: true, force: options.force });
  } finally {
    await storage.close();
  }
}
