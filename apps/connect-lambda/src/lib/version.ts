// Replaced by the build (esbuild `define`) with the content of apps/connect-lambda/VERSION.
declare const __CONNECT_LAMBDA_VERSION__: string | undefined;

/** The version injected at build time, or `undefined` when running unbundled (tests, tsx). */
export const BUILD_VERSION: string | undefined =
  typeof __CONNECT_LAMBDA_VERSION__ === 'string' ? __CONNECT_LAMBDA_VERSION__ : undefined;

/** Which version source wins; `build-first` is the upstream TypeScript order. */
export type VersionSourceOrder = 'build-first' | 'env-first';

/**
 * The version sent as `ccaasMetadata.version`: build-time version, then `LAMBDA_VERSION`, then
 * `"unknown"` (`build-first`); or `LAMBDA_VERSION` first (`env-first`, the Python order).
 */
export function resolveVersion(
  order: VersionSourceOrder,
  envVersion: string | undefined,
  buildVersion: string | undefined = BUILD_VERSION,
): string {
  const env = envVersion === '' ? undefined : envVersion;
  const first = order === 'build-first' ? buildVersion : env;
  const second = order === 'build-first' ? env : buildVersion;
  return first ?? second ?? 'unknown';
}
