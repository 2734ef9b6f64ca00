// The build context of a container image: the app's built bundle folder plus the few files the
// image needs, never the repository root (whose node_modules would make the asset huge).

import { cpSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InfraError, InfraErrorCode } from './errors';

/** Options of {@link stageImageContext}. */
export interface ImageContextOptions {
  /** The build context: the app's bundle folder, e.g. `dist/apps/audiohook-server`. */
  readonly directory: string;
  /** Paths in `directory` that must exist (the bundle), e.g. `['main.js']`. */
  readonly requiredFiles: readonly string[];
  /**
   * Files and folders copied into `directory` (`to` is relative to it): at least the Dockerfile
   * and the `.dockerignore` that keeps everything else (e.g. `cdk.out`) out of the context.
   */
  readonly copy: readonly { readonly from: string; readonly to: string }[];
  /** Run first when a required file is missing, e.g. `npx nx build audiohook-server`. */
  readonly buildHint: string;
}

/**
 * Checks that the bundle is built and copies the Dockerfile, `.dockerignore` and extra files
 * into it, so that the folder is a complete, small Docker build context. Returns the absolute
 * path of the context.
 *
 * @throws InfraError `INFRA_ERR_IMAGE_CONTEXT` when the bundle or a file to copy is missing.
 * @example
 * ```ts
 * const context = stageImageContext({
 *   directory: 'dist/apps/event-collector',
 *   requiredFiles: ['main.js'],
 *   copy: [
 *     { from: 'apps/event-collector/Dockerfile', to: 'Dockerfile' },
 *     { from: 'apps/event-collector/.dockerignore', to: '.dockerignore' },
 *   ],
 *   buildHint: 'npx nx build event-collector',
 * });
 * const image = ecs.ContainerImage.fromAsset(context);
 * ```
 */
export function stageImageContext(options: ImageContextOptions): string {
  const directory = resolve(options.directory);
  const missing = options.requiredFiles.filter((file) => !existsSync(join(directory, file)));
  if (missing.length > 0) {
    throw new InfraError(
      InfraErrorCode.ImageContext,
      `${missing.map((file) => join(directory, file)).join(', ')} missing: run "${options.buildHint}" first`,
    );
  }
  for (const { from, to } of options.copy) {
    if (!existsSync(from)) {
      throw new InfraError(InfraErrorCode.ImageContext, `cannot copy ${from}: it does not exist`);
    }
    cpSync(from, join(directory, to), { recursive: true, dereference: true, force: true });
  }
  return directory;
}
