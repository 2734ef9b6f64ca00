// Whether the replay cache covers every instance: without REPLAY_CACHE_TABLE it is per process,
// so a signed request accepted by one instance can be replayed to another. A server that looks
// like one of several (settings that only deployments of several instances set) says so at start.

import type { ServerConfig } from '../config';

/** Settings that mark a server as one of several behind a load balancer. */
export type MultiInstanceHint = 'INSTANCE_ID' | 'RECORDING_S3_BUCKET' | 'EMF_NAMESPACE';

/** The replay-cache warning of a configuration, or `undefined` when none is due. */
export interface ReplayScopeWarning {
  /** What makes this server look like one of several. */
  readonly hints: readonly MultiInstanceHint[];
  readonly message: string;
}

/** The settings of `config` that suggest several instances. */
export function multiInstanceHints(config: ServerConfig): MultiInstanceHint[] {
  const hints: MultiInstanceHint[] = [];
  if (config.recording.ownership.instanceIdSet) hints.push('INSTANCE_ID');
  if (config.s3 !== undefined) hints.push('RECORDING_S3_BUCKET');
  if (config.emf.namespace !== undefined) hints.push('EMF_NAMESPACE');
  return hints;
}

/**
 * A warning when the replay cache is in process (`REPLAY_CACHE_TABLE` unset, the check on) while
 * the configuration looks like one of several instances.
 *
 * @example
 * ```ts
 * const warning = replayScopeWarning(config);
 * if (warning !== undefined) logger.warn({ hints: warning.hints }, warning.message);
 * ```
 */
export function replayScopeWarning(config: ServerConfig): ReplayScopeWarning | undefined {
  if (config.auth.replayTable !== undefined || config.auth.replayCacheSize === 0) return undefined;
  const hints = multiInstanceHints(config);
  if (hints.length === 0) return undefined;
  return {
    hints,
    message:
      'the replay cache is per process (REPLAY_CACHE_TABLE is not set) but this server looks like one of several: a signed request accepted here can be replayed to another instance; set REPLAY_CACHE_TABLE to share it',
  };
}
