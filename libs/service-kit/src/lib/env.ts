// Reads an app's environment once: parseEnv validates every variable of a shape and reports all
// problems at once; readDotEnv merges a `.env` file under the real environment. The kit never
// reads the process environment itself: the app's main passes it in.

import { readFileSync } from 'node:fs';
import { parseEnv as parseDotEnvText } from 'node:util';
import type { z } from 'zod';
import { ConfigError, ServiceKitError, ServiceKitErrorCode, type ConfigIssue } from './errors';
import { isSecretField } from './env-fields';

/** An environment: variable names to values, unset ones `undefined`. */
export type EnvSource = Readonly<Record<string, string | undefined>>;

/** Variable name → field schema (kit helpers or any zod schema whose input is a string). */
export type EnvShape = Readonly<Record<string, z.ZodType<unknown, string | undefined>>>;

/** The typed result of {@link parseEnv} for `S`. */
export type EnvOf<S extends EnvShape> = { readonly [K in keyof S]: z.output<S[K]> };

/** Longest excerpt of a bad (non-secret) value shown in an error. */
const MAX_ECHO = 64;

function echo(raw: string): string {
  const text = raw.length > MAX_ECHO ? `${raw.slice(0, MAX_ECHO)}…` : raw;
  return JSON.stringify(text);
}

/** Trimmed, with empty meaning unset (a shell `VAR=` usually means "leave it at the default"). */
function normalize(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/**
 * Validates `env` against `shape` and returns the typed values. Values are trimmed and an empty
 * value counts as unset.
 *
 * @throws {@link ConfigError} listing every bad variable with its reason, and its value (cut to 64
 * characters) unless the field is marked secret.
 * @example
 * ```ts
 * const env = parseEnv(
 *   {
 *     PORT: envInt({ default: 3000, min: 0, max: 65535 }),
 *     LOG_LEVEL: envLogLevel(),
 *     API_KEY: envString({ secret: true }),
 *   },
 *   environment, // what the app's main passed in
 * );
 * env.PORT; // number
 * ```
 */
export function parseEnv<S extends EnvShape>(shape: S, env: EnvSource): EnvOf<S> {
  const issues: ConfigIssue[] = [];
  const out: Record<string, unknown> = {};
  for (const [variable, schema] of Object.entries(shape)) {
    const raw = normalize(env[variable]);
    const parsed = schema.safeParse(raw);
    if (parsed.success) {
      out[variable] = parsed.data;
      continue;
    }
    // An unset variable that does not parse needed a value, whatever the schema's wording.
    let reason =
      raw === undefined ? 'is required' : (parsed.error.issues[0]?.message ?? 'is invalid');
    if (raw !== undefined && !isSecretField(schema)) reason += ` (got ${echo(raw)})`;
    issues.push({ variable, reason });
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return out as EnvOf<S>;
}

/**
 * The environment with a `.env` file's variables added underneath: a variable set (non-empty) in
 * `env` wins over the file. A missing file is not an error (the result is a copy of `env`); the
 * file is parsed with Node's own `.env` parser (`KEY=value`, quotes, `#` comments, `export`).
 *
 * @throws {@link ServiceKitError} `SVC_ERR_DOTENV` when the file exists but cannot be read.
 * @example
 * ```ts
 * const config = loadConfig(readDotEnv('.env', environment)); // the environment wins over the file
 * ```
 */
export function readDotEnv(path: string, env: EnvSource): Record<string, string | undefined> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { ...env };
    throw new ServiceKitError(
      ServiceKitErrorCode.DotEnv,
      `cannot read ${path}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const merged: Record<string, string | undefined> = { ...parseDotEnvText(text) };
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value !== '') merged[key] = value;
    else if (!(key in merged)) merged[key] = value;
  }
  return merged;
}
