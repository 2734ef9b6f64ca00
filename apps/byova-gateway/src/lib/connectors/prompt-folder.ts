// Where the local audio connector finds its prompt folder. This gateway resolves relative paths
// from the configuration file's folder; the Python sample resolves `audio_base_path` (default
// `audio`) from the working directory. Both layouts work: the candidates below are tried in order
// and the first existing folder wins.

import { stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { GatewayError, GatewayErrorCode } from '../errors';

/** `audio_base_path` when the YAML does not set it (relative to the configuration's folder). */
export const DEFAULT_PROMPT_FOLDER = 'assets/prompts';
/** The Python sample's default `audio_base_path` (relative to the working directory). */
export const PYTHON_PROMPT_FOLDER = 'audio';

/** Where a candidate folder comes from (logged with the folder chosen). */
export type PromptFolderOrigin = 'absolute' | 'config_dir' | 'working_dir';

/** One folder that may hold the prompts. */
export interface PromptFolderCandidate {
  readonly path: string;
  readonly origin: PromptFolderOrigin;
}

/** The folders a relative path is looked up from. */
export interface PromptFolderBases {
  /** The configuration file's folder. */
  readonly configDir: string;
  /** The process's working directory (the Python gateway's base of relative paths). */
  readonly workingDir: string;
}

/** No candidate prompt folder exists; `tried` lists every folder looked at, in order. */
export class PromptFolderError extends GatewayError {
  readonly tried: readonly string[];

  constructor(connector: string, configured: string | undefined, tried: readonly string[]) {
    const what =
      configured === undefined
        ? `audio_base_path is not set (default ${DEFAULT_PROMPT_FOLDER}, then the Python sample's ${PYTHON_PROMPT_FOLDER})`
        : `audio_base_path "${configured}"`;
    super(
      GatewayErrorCode.Connector,
      `connector ${connector}: no prompt folder found (${what}); tried ${tried.join(', ')}`,
      { details: { connector, tried: [...tried] } },
    );
    this.tried = tried;
  }
}

/**
 * The folders tried for `audio_base_path`, in order:
 * - not set: `assets/prompts` in the configuration's folder, then `audio` in the working directory
 *   (the Python sample's layout);
 * - absolute: that folder only;
 * - relative: from the configuration's folder, then from the working directory (once when both
 *   are the same folder).
 */
export function promptFolderCandidates(
  configured: string | undefined,
  bases: PromptFolderBases,
): PromptFolderCandidate[] {
  if (configured !== undefined && isAbsolute(configured)) {
    return [{ path: resolve(configured), origin: 'absolute' }];
  }
  const candidates: PromptFolderCandidate[] = [
    { path: resolve(bases.configDir, configured ?? DEFAULT_PROMPT_FOLDER), origin: 'config_dir' },
    {
      path: resolve(bases.workingDir, configured ?? PYTHON_PROMPT_FOLDER),
      origin: 'working_dir',
    },
  ];
  return candidates.filter((c, i) => candidates.findIndex((o) => o.path === c.path) === i);
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The first existing folder of {@link promptFolderCandidates}, and the folders tried before it.
 *
 * @throws PromptFolderError (`BYOVA_GW_ERR_CONNECTOR`) naming every folder tried when none exists.
 */
export async function findPromptFolder(
  connector: string,
  configured: string | undefined,
  bases: PromptFolderBases,
): Promise<PromptFolderCandidate & { readonly skipped: readonly string[] }> {
  const candidates = promptFolderCandidates(configured, bases);
  for (const [index, candidate] of candidates.entries()) {
    if (await isDirectory(candidate.path)) {
      return { ...candidate, skipped: candidates.slice(0, index).map((c) => c.path) };
    }
  }
  throw new PromptFolderError(
    connector,
    configured,
    candidates.map((c) => c.path),
  );
}
