// APP_SETTINGS: further app settings as a JSON object, which a stack passes to the app as plain
// environment variables. Plain means readable by anyone who can read the template or the task
// definition, so secrets (and URLs with credentials) are refused here, by name, never echoed.

import { z } from 'zod';

/** What APP_SETTINGS may not carry, for {@link appSettingsProblems} and {@link appSettingsParam}. */
export interface AppSettingsRules {
  /**
   * Settings APP_SETTINGS may not name, each with the reason and what to do instead (one line,
   * shown after `<name> cannot be in APP_SETTINGS: `). See {@link secretSettings}.
   */
  readonly refused: Readonly<Record<string, string>>;
  /**
   * What to do with the credentials of a URL setting instead (one line).
   * @default "give the URL without them and the credentials through the stack's secret"
   */
  readonly urlCredentials?: string;
}

/**
 * Refusals for an app's secret settings (those its configuration marks secret): each is refused
 * because APP_SETTINGS are plain-text environment variables, with `instead` (what to do: the
 * stack's secret mechanism) after it.
 *
 * @example
 * ```ts
 * secretSettings(['GENESYS_CLIENT_SECRET'], 'put it in the secret GENESYS_SECRET_NAME names');
 * // { GENESYS_CLIENT_SECRET: 'it is a secret, and APP_SETTINGS become plain-text … ; put it in …' }
 * ```
 */
export function secretSettings(
  names: readonly string[],
  instead: string | ((name: string) => string),
): Record<string, string> {
  return Object.fromEntries(
    names.map((name) => [
      name,
      `it is a secret, and APP_SETTINGS become plain-text environment variables in the template and the task definition; ${typeof instead === 'string' ? instead : instead(name)}`,
    ]),
  );
}

/**
 * Why a setting no app declares but every Node.js app would read is refused, whatever the app's
 * rules: AWS credentials (the SDK would use them instead of the task or function role) and the
 * OpenTelemetry exporter's header variables (they carry the collector's credentials).
 */
function alwaysRefused(name: string): string | undefined {
  if (/^AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN)$/.test(name)) {
    return "AWS credentials in plain-text environment variables would replace the task's or function's role; grant the role what it needs instead";
  }
  if (/^OTEL_EXPORTER_OTLP_((TRACES|METRICS|LOGS)_)?HEADERS$/.test(name)) {
    return "exporter headers carry the collector's credentials, and APP_SETTINGS become plain-text environment variables; give them through the stack's secret mechanism";
  }
  return undefined;
}

/** Whether `value` is a URL with a user name or password (`scheme://user:password@host`). */
function hasCredentials(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return false;
  }
  return url.username !== '' || url.password !== '';
}

/**
 * One line per problem of `settings` (the APP_SETTINGS object): a setting `rules.refused` names,
 * AWS credentials and OpenTelemetry exporter headers (refused for every app), and any value that is a URL with credentials (`user:password@`, e.g. in `ELASTIC_URL`), which
 * would sit in the template in clear. Names only: values never appear. Empty when all is well.
 *
 * @example
 * ```ts
 * appSettingsProblems({ LOG_LEVEL: 'debug', API_TOKEN: 'x' }, {
 *   refused: secretSettings(['API_TOKEN'], 'name it in APP_SECRETS'),
 * });
 * // ['API_TOKEN cannot be in APP_SETTINGS: it is a secret, … ; name it in APP_SECRETS']
 * ```
 */
export function appSettingsProblems(
  settings: Readonly<Record<string, string>>,
  rules: AppSettingsRules,
): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(settings)) {
    const refusal = Object.hasOwn(rules.refused, name) ? rules.refused[name] : alwaysRefused(name);
    if (refusal !== undefined) {
      problems.push(`${name} cannot be in APP_SETTINGS: ${refusal}`);
    } else if (hasCredentials(value)) {
      problems.push(
        `${name} in APP_SETTINGS is a URL with credentials (user:password@), which would be a plain-text environment variable; ${rules.urlCredentials ?? "give the URL without them and the credentials through the stack's secret"}`,
      );
    }
  }
  return problems;
}

/**
 * The `APP_SETTINGS` stack parameter: a JSON object of string values (`{}` when unset), refused
 * with one issue per problem of {@link appSettingsProblems}.
 *
 * @example
 * ```ts
 * z.object({ APP_SETTINGS: appSettingsParam({ refused: secretSettings(SECRET_NAMES, 'use APP_SECRETS') }) });
 * ```
 */
export function appSettingsParam(rules: AppSettingsRules = { refused: {} }) {
  return z
    .string()
    .optional()
    .transform((v, ctx): Record<string, string> => {
      if (v === undefined) return {};
      let parsed: Record<string, string>;
      try {
        parsed = z.record(z.string(), z.string()).parse(JSON.parse(v));
      } catch {
        ctx.addIssue({ code: 'custom', message: 'expected a JSON object of string values' });
        return z.NEVER;
      }
      const problems = appSettingsProblems(parsed, rules);
      for (const message of problems) ctx.addIssue({ code: 'custom', message });
      return problems.length > 0 ? z.NEVER : parsed;
    });
}
